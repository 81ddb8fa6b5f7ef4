/**
 * A helper for the CLI's tests (not itself a test file): running a command function as if its
 * stderr were a terminal, to see the progress drawn there.
 */
import { Readable } from 'node:stream';
import type { CommandIO } from './io.ts';
import type { Run } from './testing.ts';

/** Runs a command function with buffers for its output; stderr claims to be a terminal `columns` wide. */
export async function runOnTerminal(command: (argv: string[], io: CommandIO) => Promise<number>, argv: string[], env: Record<string, string>, columns = 120): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: true, columns },
    env,
  };
  const code = await command(argv, io);
  return { code, stdout, stderr };
}

/** What a terminal shows once `written` is drawn: each `\r` returns to the line's start, erase-line empties it. */
export function screenOf(written: string): string[] {
  const lines: string[] = [''];
  for (const piece of written.split(/(\r|\n|\u001b\[2K)/)) {
    if (piece === '\n') lines.push('');
    else if (piece === '\u001b[2K') lines[lines.length - 1] = '';
    else if (piece !== '\r') lines[lines.length - 1] += piece;
  }
  return lines;
}
