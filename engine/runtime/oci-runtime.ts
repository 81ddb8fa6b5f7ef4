/**
 * Talking to the OCI runtime (runc or crun) about a container: its housekeeping commands, its
 * pid file, the errors in its JSON log, and what exit code a process it could not start gets.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { ContainerStore } from './containers.ts';

/**
 * The exit code Docker gives a process the runtime could not start: 127 when the executable is
 * missing, 126 when it cannot be executed, 125 for anything else.
 *
 * @example
 * exitCodeForRuntimeError('exec: "nope": executable file not found in $PATH'); // 127
 */
export function exitCodeForRuntimeError(message: string): number {
  if (/exec/i.test(message) && /not found|no such file or directory/i.test(message)) return 127;
  if (/exec/i.test(message) && /permission denied|not executable|exec format error/i.test(message)) return 126;
  return 125;
}

/** The error messages in a runtime's `--log-format json` log (runc's and crun's shape). */
export async function runtimeErrors(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const messages: string[] = [];
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if ((entry.level === 'error' || entry.level === 'fatal') && typeof entry.msg === 'string') messages.push(entry.msg);
    } catch {
      // A line that is not JSON is not the runtime's structured log.
    }
  }
  return messages;
}

/** A runtime's message without its "runc run failed: " lead-in. */
export function cleanRuntimeMessage(message: string): string {
  return message.replace(/^\S+ (run|exec) failed: /, '');
}

/** Runs a runtime housekeeping command (`kill`, `delete`), resolving to its exit code; never throws. */
export function housekeeping(store: ContainerStore, runtime: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(runtime, ['--root', store.runtimeRoot, ...args], { stdio: 'ignore' });
    child.once('error', () => resolve(-1));
    child.once('close', (code) => resolve(code ?? -1));
  });
}

const keepSupport = new Map<string, Promise<boolean>>();

/**
 * True when the runtime's `run` takes `--keep` (runc does; older crun does not): the container,
 * and with it its cgroup, then outlives its process until `delete`.
 */
export function supportsKeep(runtime: string): Promise<boolean> {
  let known = keepSupport.get(runtime);
  if (!known) {
    known = new Promise((resolve) => {
      const child = spawn(runtime, ['run', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let help = '';
      child.stdout.on('data', (chunk: Buffer) => (help += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (help += chunk.toString()));
      child.once('error', () => resolve(false));
      child.once('close', () => resolve(/--keep\b/.test(help)));
    });
    keepSupport.set(runtime, known);
  }
  return known;
}

/** The pid in the runtime's pid file, once it is there and whole. */
export async function readPidFile(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Drops the lines of `text` that are one of the runtime's error messages (it prints them on stderr too). */
export function withoutRuntimeMessages(text: string, messages: string[]): string {
  if (messages.length === 0) return text;
  const known = new Set(messages.map((m) => m.trim()));
  return text
    .split(/(?<=\n)/)
    .filter((line) => !known.has(line.trim()))
    .join('');
}
