/**
 * Hubs and `nocker` commands as real child processes, for the tests that kill them (crash) or run
 * several at once on shared backends (replicas).
 *
 * Every child gets exactly the test environment's variables (plus PATH): nothing from the test
 * runner's own environment decides where a Hub keeps its data. Its output is read continuously —
 * on Linux a child writing to a full pipe blocks — and the last part of it is kept for error
 * messages and for tests that wait for a log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestEnvironment } from './harness.ts';

/** The `nocker` executable (`cli/nocker.js`). */
export const NOCKER = fileURLToPath(new URL('../cli/nocker.js', import.meta.url));

/** Output kept per process: enough for the last few hundred log lines. */
const KEPT_OUTPUT = 256 * 1024;

/** A child process whose stdout and stderr are collected as they arrive. */
export interface WatchedProcess {
  child: ChildProcess;
  /** The last `KEPT_OUTPUT` characters of stdout and stderr, interleaved as they arrived. */
  output(): string;
  /**
   * Resolves with the first match of `pattern` in output that arrives from now on (or already
   * kept, with `{ past: true }`); rejects when the process exits first or after `timeoutMs`.
   */
  waitForOutput(pattern: RegExp, options?: { timeoutMs?: number; past?: boolean }): Promise<RegExpExecArray>;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<ProcessExit>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Hub started with `nocker hub serve`. */
export interface HubProcess extends WatchedProcess {
  /** `http://127.0.0.1:<port>`, from the Hub's start-up line. */
  url: string;
}

/** Starts `node cli/nocker.js <args>` with the environment's variables, in its data directory. */
export function startNocker(environment: TestEnvironment, args: string[]): WatchedProcess {
  const child = spawn(process.execPath, [NOCKER, ...args], {
    cwd: environment.dataDir,
    env: { PATH: process.env.PATH, ...environment.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<(text: string) => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-KEPT_OUTPUT);
    for (const listener of listeners) listener(text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<ProcessExit>((resolve) => {
    // 'close' rather than 'exit': it comes after the last of the output has been read.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  const waitForOutput = (pattern: RegExp, options: { timeoutMs?: number; past?: boolean } = {}): Promise<RegExpExecArray> => {
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      // Matching runs over the text seen since the wait began, so a line split across two chunks
      // still matches.
      let seen = options.past ? output : '';
      const finish = (result: RegExpExecArray | Error) => {
        clearTimeout(timer);
        listeners.delete(onText);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const onText = (text: string) => {
        seen = (seen + text).slice(-KEPT_OUTPUT);
        const match = pattern.exec(seen);
        if (match) finish(match);
      };
      const timer = setTimeout(() => finish(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`)), timeoutMs);
      listeners.add(onText);
      const early = pattern.exec(seen);
      if (early) return finish(early);
      void exited.then(({ code, signal }) => {
        if (listeners.has(onText)) {
          finish(new Error(`the process exited (${signal ?? code}) before printing ${pattern}:\n${output.slice(-4000)}`));
        }
      });
    });
  };

  return { child, output: () => output, waitForOutput, exited };
}

/** Starts `nocker hub serve` on a free loopback port and waits for its start-up line. */
export async function spawnHub(environment: TestEnvironment, timeoutMs = 60_000): Promise<HubProcess> {
  const hub = startNocker(environment, ['hub', 'serve']);
  try {
    const match = await hub.waitForOutput(/listening on (http:\/\/\S+)/, { timeoutMs, past: true });
    return { ...hub, url: match[1] as string };
  } catch (err) {
    await kill(hub);
    throw new Error(`the Hub did not start: ${(err as Error).message}`);
  }
}

/** SIGKILL (or `signal`): resolves once the process is gone. Killing a dead process is a no-op. */
export async function kill(watched: WatchedProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
  const { child } = watched;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return watched.exited;
}

/** Runs a `nocker` command to its end; rejects (with its output) when it fails or times out. */
export async function runNocker(environment: TestEnvironment, args: string[], timeoutMs = 30_000): Promise<string> {
  const run = startNocker(environment, args);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await run.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`nocker ${args.join(' ')} ended with ${signal ?? code}:\n${run.output().slice(-4000)}`);
  return run.output();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined or false;
 * resolves with that, or with undefined after `timeoutMs`.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}
