/**
 * The terminal plumbing the CLI's commands share: where a command reads and writes, which Hub it
 * talks to, how its arguments are parsed, and how it asks for a line or a password.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HubAddressError, resolveHubUrl } from '../hub/client/address.ts';
import { UsageError } from './usage.ts';

/** Where a command reads and writes: the process by default, buffers in tests. */
export interface CommandIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

/** The running process's streams and environment. */
export function processIO(): CommandIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * The Hub a command talks to: `explicit` (a positional argument or `--hub`), else `NOCKER_HUB`,
 * else 127.0.0.1:5000. Both a positional HUB and a different `--hub` is a usage error.
 */
export function hubUrlFrom(io: CommandIO, ...explicit: (string | undefined)[]): string {
  const given = [...new Set(explicit.filter((e): e is string => e !== undefined))];
  if (given.length > 1) throw new UsageError(`two different Hubs given: ${given.join(' and ')}`);
  try {
    return resolveHubUrl(given[0], io.env);
  } catch (err) {
    if (err instanceof HubAddressError) throw new UsageError(err.message);
    throw err;
  }
}

/** Runs node's parseArgs, turning its complaints into usage errors. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses a command's arguments the way every `nocker` command does: strict, positionals allowed,
 * `-h`/`--help` added. Returns undefined when help was asked for, after printing `help`.
 *
 * @example
 * const parsed = parseCommandLine(argv, io, { json: { type: 'boolean' } }, LS_HELP);
 * if (!parsed) return 0;
 */
export function parseCommandLine<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], io: CommandIO, options: O, help: string) {
  const parsed = parseOrUsage(() => parseArgs({ args: argv, options: { ...options, ...HELP_OPTION }, allowPositionals: true, strict: true }));
  if ((parsed.values as { help?: boolean }).help === true) {
    io.stdout.write(help);
    return undefined;
  }
  return parsed;
}

/** True when the command may ask questions: its input is a terminal. */
export function isInteractive(io: CommandIO): boolean {
  return io.stdin.isTTY === true;
}

/** Asks for one line on the terminal, echoed. */
export async function promptLine(io: CommandIO, question: string): Promise<string> {
  io.stderr.write(question);
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    const [line] = (await Promise.race([once(lines, 'line'), once(lines, 'close').then(() => [''])])) as [string];
    return line.trim();
  } finally {
    lines.close();
  }
}

/** Asks for a secret on the terminal without echoing it (backspace and Ctrl-U edit, Ctrl-C aborts). */
export function promptSecret(io: CommandIO, question: string): Promise<string> {
  const input = io.stdin;
  // Raw before the prompt shows, so that nothing typed after it is echoed.
  input.setRawMode?.(true);
  io.stderr.write(question);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      io.stderr.write('\n');
      outcome();
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new Error('interrupted')));
        if (ch === '\u0004') return finish(() => (value === '' ? reject(new Error('no password given')) : resolve(value)));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Reads all of standard input as a password, dropping one trailing line break. */
export async function readSecretFromStdin(io: CommandIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (secret === '') throw new UsageError('--password-stdin: standard input is empty');
  return secret;
}
