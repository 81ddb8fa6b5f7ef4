/**
 * What any process can do to a container through its record and the runtime, whoever
 * supervises it: stop it (and keep it from restarting), remove it, run a command in it.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalNumber } from '../build/runtime.ts';
import { processAlive } from '../build/scratch.ts';
import { type ContainerStore, observedState } from './containers.ts';
import { cleanRuntimeMessage, exitCodeForRuntimeError, housekeeping, readPidFile, runtimeErrors } from './oci-runtime.ts';
import type { ContainerRecord } from './types.ts';

/** The marker a stop leaves in the container's directory: the supervisor does not restart. */
export const STOP_MARKER = 'stop-requested';

/** How long a stop waits for a container killed with SIGKILL to be seen as ended. */
const KILL_WAIT_MS = 10_000;
/** How long a stop waits for a supervisor that is starting the container (publishing its ports, say). */
const START_WAIT_MS = 30_000;
/** How often records are looked at while waiting. */
export const RECORD_POLL_MS = 50;

/** True when the record's container is in a run or between runs. */
export function isActive(record: ContainerRecord): boolean {
  const state = observedState(record);
  return state === 'running' || state === 'restarting';
}

/** Polls the record until `done` says so or `ms` pass; resolves to the last record seen. */
async function waitForRecord(store: ContainerStore, id: string, ms: number, done: (record: ContainerRecord) => boolean): Promise<ContainerRecord | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const record = await store.get(id);
    if (!record || done(record) || Date.now() >= until) return record;
    await sleep(RECORD_POLL_MS);
  }
}

/**
 * The record of a container whose record says it runs but whose supervisor is gone: the
 * runtime's leftover (if any) killed and deleted, and the record saying it exited.
 */
async function settleOrphan(store: ContainerStore, record: ContainerRecord): Promise<ContainerRecord> {
  if (record.state !== 'running' && record.state !== 'restarting') return record;
  if (observedState(record) !== 'exited') return record;
  await housekeeping(store, record.runtime, ['delete', '--force', record.id]);
  return store.update(record.id, { state: 'exited', pid: undefined, finishedAt: record.finishedAt ?? new Date().toISOString() });
}

/**
 * Stops container `id` (a name, id or prefix works too) and keeps it from restarting: leaves
 * the stop marker, sends SIGTERM through the runtime, waits up to `timeoutSeconds` for the
 * record to say it exited, then sends SIGKILL (at once for 0). Resolves to the record; a
 * container that is not running is left as it is.
 *
 * @example
 * const record = await stopContainer(store, 'web', 10); // record.state === 'exited'
 */
export async function stopContainer(store: ContainerStore, id: string, timeoutSeconds = 10): Promise<ContainerRecord> {
  let record = await store.find(id);
  await writeFile(join(store.dir(record.id), STOP_MARKER), `${new Date().toISOString()}\n`);
  // A supervisor that is starting the container has not said so yet: its start is waited for.
  if (record.state === 'created' && record.supervisorPid !== undefined && processAlive(record.supervisorPid)) {
    const supervisor = record.supervisorPid;
    record = (await waitForRecord(store, record.id, START_WAIT_MS, (r) => r.state !== 'created' || !processAlive(supervisor))) ?? record;
  }
  if (!isActive(record)) return settleOrphan(store, record);
  if (timeoutSeconds > 0) {
    await housekeeping(store, record.runtime, ['kill', record.id, 'TERM']);
    record = (await waitForRecord(store, record.id, timeoutSeconds * 1000, (r) => !isActive(r))) ?? record;
  }
  if (isActive(record)) {
    await housekeeping(store, record.runtime, ['kill', record.id, 'KILL']);
    record = (await waitForRecord(store, record.id, KILL_WAIT_MS, (r) => !isActive(r))) ?? record;
  }
  if (isActive(record)) throw new Error(`container ${record.name} did not stop within ${timeoutSeconds + KILL_WAIT_MS / 1000} seconds of being asked to`);
  return (await store.get(record.id)) ?? record;
}

/**
 * Removes container `id`: refuses one that runs unless `force`, which kills it at once; waits
 * for its supervisor to finish, releases its root (unmounts it) and removes its directory.
 *
 * @example
 * await removeContainer(store, 'web', { force: true });
 */
export async function removeContainer(store: ContainerStore, id: string, options: { force?: boolean } = {}): Promise<void> {
  let record = await store.find(id);
  if (isActive(record)) {
    if (!options.force) throw new Error(`cannot remove container ${record.name}: it is ${observedState(record)}; stop it first, or remove it with force`);
    record = await stopContainer(store, record.id, 0);
  }
  const supervisor = record.supervisorPid;
  // The supervisor's last words (its final record, autoRemove) come before the directory goes.
  if (supervisor !== undefined && supervisor !== process.pid) {
    const until = Date.now() + KILL_WAIT_MS;
    while (processAlive(supervisor) && Date.now() < until) await sleep(RECORD_POLL_MS);
  }
  await housekeeping(store, record.runtime, ['delete', '--force', record.id]);
  await store.remove(record.id);
}

/** How `exec` runs its process. */
export interface ExecOptions {
  /** `NAME=value` pairs added to the container's environment. */
  env?: string[];
  /** The working directory inside the container; the container's when omitted. */
  cwd?: string;
  /** `uid[:gid]`; the container's user (`record.user`) when omitted. */
  user?: string;
  /** The process's standard streams, as child_process takes them; this process's own when omitted. */
  stdio?: StdioOptions;
}

/**
 * Runs `args` in the running container `record` through `runtime exec` and resolves to its
 * exit code (128 + N when killed by signal N; 127, 126 or 125 when the runtime could not start
 * it, as for `run`). Rejects when the container does not run.
 *
 * @example
 * const code = await execInContainer(store, record, ['/bin/sh', '-c', 'ls /'], { stdio: 'inherit' });
 */
export async function execInContainer(store: ContainerStore, record: ContainerRecord, args: string[], options: ExecOptions): Promise<number> {
  if (observedState(record) !== 'running') throw new Error(`container ${record.name} is not running`);
  if (args.length === 0) throw new Error('exec needs a command');
  const dir = store.dir(record.id);
  const tag = `${process.pid}-${Date.now()}`;
  const pidFile = join(dir, `exec-${tag}.pid`);
  const runtimeLog = join(dir, `exec-${tag}.log`);
  const flags = [...(options.env ?? []).flatMap((e) => ['--env', e]), ...(options.cwd ? ['--cwd', options.cwd] : []), '--user', options.user ?? record.user];
  const child = spawn(record.runtime, ['--root', store.runtimeRoot, '--log', runtimeLog, '--log-format', 'json', 'exec', '--pid-file', pidFile, ...flags, record.id, ...args], { stdio: options.stdio ?? 'inherit' });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    const exitCode = code ?? 128 + signalNumber(signal);
    if (exitCode === 0 || (await readPidFile(pidFile)) !== undefined) return exitCode;
    // No pid file: the runtime never started the process.
    const message = (await runtimeErrors(runtimeLog)).at(-1);
    return message ? exitCodeForRuntimeError(cleanRuntimeMessage(message)) : exitCode;
  } finally {
    await rm(pidFile, { force: true });
    await rm(runtimeLog, { force: true });
  }
}
