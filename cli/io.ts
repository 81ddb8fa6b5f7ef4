/**
 * The terminal plumbing the CLI's commands share: where a command reads and writes, which Hub it
 * talks to, how its arguments are parsed, how it reports progress and prints its result, how a
 * failure is described, and how it asks for a line or a password.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HubAddressError, resolveHubUrl } from '../hub/client/address.ts';
import { HubUnreachableError } from '../hub/client/client.ts';
import { ConfigError } from '../hub/config.ts';
import { OciError } from '../hub/oci/errors.ts';
import { reporterFor, shortDigest, type ReportStream, type Reporter } from './progress.ts';
import { UsageError } from './usage.ts';

/** Where a command reads and writes: the process by default, buffers in tests. */
export interface CommandIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: { write(text: string): unknown };
  /** `isTTY` decides whether progress is drawn in place; tests set it to see the drawing. */
  stderr: ReportStream;
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

/** The flags of every command that prints a result: `-q`/`--quiet` and `--json`. */
export const OUTPUT_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
} as const;

/** A JSON value a command's `--json` result is made of. */
export type JsonResult = string | number | boolean | null | JsonResult[] | { [key: string]: JsonResult | undefined };

/** A blob a command is done with, as its `--json` result lists it. */
export type BlobRecord = { digest: string; outcome: string };

/** How a command talks to the person or script running it. */
export interface CommandOutput {
  /** Progress on stderr: drawn in place on a terminal, plain lines elsewhere, nothing with --quiet. */
  report: Reporter;
  /** A blob is done: `0123456789ab: TEXT` on stderr (TEXT defaults to `outcome`), and a record in {@link blobs}. */
  blob(digest: string, outcome: string, text?: string): void;
  /** The blobs done so far, in order. */
  readonly blobs: BlobRecord[];
  /** Prints the result on stdout: the whole document with --json, else its digest on one line. */
  result(document: { name: string; digest: string; [key: string]: JsonResult | undefined }): void;
}

/**
 * The one place that decides how a command prints: `--quiet` silences stderr except errors,
 * `--json` turns stdout into one JSON document, and a terminal on stderr gets progress drawn in
 * place.
 *
 * @example
 * const output = commandOutput(io, values);
 * output.report.line('abc123: pushed');
 * output.result({ name, digest });
 */
export function commandOutput(io: CommandIO, flags: { quiet?: boolean | undefined; json?: boolean | undefined }): CommandOutput {
  const report = reporterFor(io.stderr, flags.quiet === true);
  const blobs: BlobRecord[] = [];
  return {
    report,
    blobs,
    blob(digest, outcome, text = outcome) {
      blobs.push({ digest, outcome });
      // The blob's transfer status is over: its line replaces it.
      report.clear();
      report.line(`${shortDigest(digest)}: ${text}`);
    },
    result(document) {
      report.clear();
      io.stdout.write(flags.json === true ? `${JSON.stringify(document, null, 2)}\n` : `${document.digest}\n`);
    },
  };
}

/** True when `NOCKER_DEBUG` asks for stack traces. */
export function debugging(env: Record<string, string | undefined>): boolean {
  const value = env.NOCKER_DEBUG?.trim() ?? '';
  return value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** An error from the operating system, as Node reports it (`ENOENT: no such file…, open 'x'`). */
interface SystemError extends Error {
  code: string;
  syscall: string;
  path?: string;
}

function isSystemError(err: unknown): err is SystemError {
  return err instanceof Error && typeof (err as Partial<SystemError>).code === 'string' && typeof (err as Partial<SystemError>).syscall === 'string';
}

/** Errors that point at a mistake in Nocker itself rather than at what the user asked. */
function looksLikeABug(err: unknown): boolean {
  return !(err instanceof Error) || [TypeError, RangeError, ReferenceError].some((type) => err instanceof type);
}

/** The error as one sentence: its message, with the operating system's errors reworded. */
function sentenceFor(err: unknown): string {
  if (isSystemError(err)) {
    const reason = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.code;
    return err.path === undefined ? `${err.syscall} failed: ${reason}` : `cannot ${err.syscall} ${err.path}: ${reason}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** What to try next after an error, when something helps; `command` is the one that failed. */
function hintFor(err: unknown, command: string | undefined, debug: boolean): string | undefined {
  if (err instanceof UsageError) return command ? `Run "nocker --help" for usage. Run "nocker ${command} --help" for its options.` : 'Run "nocker --help" for usage.';
  if (err instanceof HubUnreachableError) return 'Is the Hub running there? Give another one with --hub or $NOCKER_HUB.';
  if (err instanceof ConfigError) return 'Run "nocker hub --help" for the settings and their values.';
  if (err instanceof OciError) {
    if (err.code === 'UNAUTHORIZED') return 'Log in with "nocker login HUB", or check the saved credentials.';
    if (err.code === 'DENIED') return 'The account lacks the permission for this; a Hub administrator can grant it.';
    if (err.code === 'NAME_UNKNOWN' || err.code === 'MANIFEST_UNKNOWN') return 'Check the name and tag: "nocker ls" lists the repositories, "nocker ls REPOSITORY" the tags.';
    if (err.code === 'TOOMANYREQUESTS') return 'The Hub limits requests; wait a little and try again.';
    return undefined;
  }
  return looksLikeABug(err) && !debug ? 'This looks like a bug in nocker; run again with NOCKER_DEBUG=1 to see where it happened.' : undefined;
}

/** The error's stack, then each cause's, for NOCKER_DEBUG. */
function debugText(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 10; depth += 1) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(depth === 0 ? text : `Caused by: ${text}`);
    if (current instanceof OciError && current.detail !== undefined) parts.push(`detail: ${JSON.stringify(current.detail)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/**
 * How a failed command is described on stderr: `nocker: ` and one sentence, then a hint line
 * when one helps; with `NOCKER_DEBUG=1` the stack trace and causes follow. Ends with a newline.
 *
 * @example
 * io.stderr.write(failureText(err, io.env, 'pull'));
 */
export function failureText(err: unknown, env: Record<string, string | undefined>, command?: string): string {
  const debug = debugging(env);
  const parts = [`nocker: ${sentenceFor(err)}`, hintFor(err, command, debug), debug ? debugText(err) : undefined];
  return parts.filter((part): part is string => part !== undefined).join('\n') + '\n';
}

/**
 * The one positional argument a command takes (an image reference): a usage error when it is
 * missing (`missing` says what to type) or followed by more.
 *
 * @example
 * const ref = onePositional(positionals, 'pull', 'reference', 'pull needs a reference: nocker pull REF');
 */
export function onePositional(positionals: readonly string[], command: string, noun: string, missing: string): string {
  const [value, ...extra] = positionals;
  if (value === undefined) throw new UsageError(missing);
  if (extra.length > 0) throw new UsageError(`${command} takes one ${noun}, got also ${extra.join(' ')}`);
  return value;
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

/**
 * Splits `argv` where the command of `run` or `exec` begins: the options before the first
 * positional argument (the image or container) and that argument are the command's own; all
 * that follows belongs to the process, flags included. `--` ends the options early.
 *
 * @example
 * splitAtPositional(['-e', 'A=1', 'app', 'ls', '-l'], { e: { type: 'string', short: 'e' } });
 * // { own: ['-e', 'A=1', 'app'], rest: ['ls', '-l'] }
 */
export function splitAtPositional(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>): { own: string[]; rest: string[] } {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (option.short) takesValue.add(`-${option.short}`);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return { own: [...argv.slice(0, i), ...argv.slice(i + 1, i + 2)], rest: argv.slice(i + 2) };
    if (!arg.startsWith('-') || arg === '-') return { own: argv.slice(0, i + 1), rest: argv.slice(i + 1) };
    if (takesValue.has(arg)) i++;
  }
  return { own: [...argv], rest: [] };
}
