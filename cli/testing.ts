/**
 * Helpers for the CLI's tests (not itself a test file): running a command function with buffers
 * in place of the terminal.
 */
import { Readable } from 'node:stream';
import type { CommandIO } from './io.ts';

/** What a command run returned and printed. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command function with buffers for its output and `stdin` (not a terminal) as its input. */
export async function run(command: (argv: string[], io: CommandIO) => Promise<number>, argv: string[], env: Record<string, string>, stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  const code = await command(argv, io);
  return { code, stdout, stderr };
}
