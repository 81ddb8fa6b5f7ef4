/**
 * `nocker login` and `nocker logout`: credentials for a Hub, checked against it and kept in the
 * Docker config file. Also the terminal plumbing the Hub's account commands share: where a
 * command reads and writes, which Hub it talks to, and how it asks for a password.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { HubAddressError, hubHost, resolveHubUrl } from '../hub/client/address.ts';
import { HubClient } from '../hub/client/client.ts';
import { credentialsFor, removeCredentials, saveCredentials } from './docker-config.ts';
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

export const LOGIN_HELP = `Usage:
  nocker login [HUB] [-u|--username NAME] [-p|--password PASS] [--password-stdin]
      Check a user's (or robot's) credentials against the Hub and save them in the Docker config
      file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json) as docker login does, so
      that nocker, docker, podman and skopeo all use them. Missing values are asked for on a
      terminal; elsewhere give them, the password best with --password-stdin:
        echo "$SECRET" | nocker login 127.0.0.1:5000 -u 'robot$ci' --password-stdin

  nocker logout [HUB]
      Remove the saved credentials for the Hub.

  HUB is URL or HOST:PORT (--hub works too); default: $NOCKER_HUB, else 127.0.0.1:5000.
  A bare HOST:PORT means http:// on loopback addresses, https:// elsewhere.
`;

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

/** `nocker login [HUB] [-u NAME] [-p PASS | --password-stdin]` */
export async function loginCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({
      args: argv,
      options: {
        username: { type: 'string', short: 'u' },
        password: { type: 'string', short: 'p' },
        'password-stdin': { type: 'boolean' },
        hub: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) {
    io.stdout.write(LOGIN_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`login takes one Hub, got ${positionals.join(' ')}`);
  const url = hubUrlFrom(io, positionals[0], values.hub);
  if (values.password !== undefined && values['password-stdin']) throw new UsageError('--password and --password-stdin cannot be used together');
  if (values['password-stdin'] && values.username === undefined) throw new UsageError('--password-stdin needs --username');
  if (values.password !== undefined) io.stderr.write('WARNING! Using --password on the command line is insecure. Use --password-stdin.\n');

  let username = values.username;
  let password = values['password-stdin'] ? await readSecretFromStdin(io) : values.password;
  if (username === undefined || password === undefined) {
    if (!isInteractive(io)) {
      throw new UsageError(`no ${username === undefined ? 'user name' : 'password'} given and no terminal to ask on: use -u NAME and --password-stdin`);
    }
    if (username === undefined) {
      const saved = (await credentialsFor(url, { env: io.env }))?.username;
      username = (await promptLine(io, saved ? `Username (${saved}): ` : 'Username: ')) || saved;
      if (!username) throw new UsageError('no user name given');
    }
    password ??= await promptSecret(io, 'Password: ');
  }
  if (username === '') throw new UsageError('the user name is empty');
  if (password === '') throw new UsageError('the password is empty');

  await new HubClient({ url, credentials: { username, password } }).checkLogin();
  const { warnings } = await saveCredentials(url, username, password, { env: io.env });
  for (const warning of warnings) io.stderr.write(`WARNING! ${warning}\n`);
  io.stdout.write('Login Succeeded\n');
  return 0;
}

/** `nocker logout [HUB]` */
export async function logoutCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({ args: argv, options: { hub: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    io.stdout.write(LOGIN_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`logout takes one Hub, got ${positionals.join(' ')}`);
  const url = hubUrlFrom(io, positionals[0], values.hub);
  const host = hubHost(url);
  if (await removeCredentials(url, { env: io.env })) io.stdout.write(`Removing login credentials for ${host}\n`);
  else io.stdout.write(`Not logged in to ${host}\n`);
  return 0;
}
