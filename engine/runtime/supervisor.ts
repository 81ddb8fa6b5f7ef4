/**
 * The container supervisor: runs a container through the OCI runtime in the foreground (so the
 * runtime's exit code is the container's), logs its output, publishes its ports, tells a
 * process that could not be started from one that failed, reads whether the kernel killed it
 * for memory, and restarts it as its policy says. Stopping, removing and exec'ing work from any
 * process: see lifecycle.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalNumber } from '../build/runtime.ts';
import { processAlive } from '../build/scratch.ts';
import { expectedMemoryCgroup, memoryCgroupOf, readOomKills } from './cgroups.ts';
import { type ContainerStore, NoSuchContainerError } from './containers.ts';
import { isActive, RECORD_POLL_MS, STOP_MARKER, stopContainer } from './lifecycle.ts';
import { LOG_FILE, LogWriter, type LogStream } from './logs.ts';
import { cleanRuntimeMessage, exitCodeForRuntimeError, housekeeping, readPidFile, runtimeErrors, supportsKeep, withoutRuntimeMessages } from './oci-runtime.ts';
import { publishPorts } from './ports.ts';
import type { ContainerRecord } from './types.ts';

/** The runtime's pid file and log, in the container's directory. */
const PID_FILE = 'runtime.pid';
const RUNTIME_LOG = 'runtime.log';

/** The first wait before a restart; it doubles with each restart up to {@link BACKOFF_MAX_MS}. */
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;
/** A run at least this long counts as a success: the next restart waits the first wait again. */
const STEADY_RUN_MS = 10_000;
/** How often the pid file is looked at while the runtime starts the process. */
const POLL_MS = 10;

/** What a supervisor may be given besides the container. */
export interface SuperviseOptions {
  /** Each chunk of output as it arrives (foreground `run`, attached). */
  onOutput?: (stream: LogStream, chunk: string) => void;
  /** Aborting stops the container as {@link stopContainer} does, with its default timeout. */
  signal?: AbortSignal;
  /** Fed to the container's standard input (`run -i`); without it the container reads nothing. */
  stdin?: NodeJS.ReadableStream;
}

/** How one run of the container ended. */
interface RunOutcome {
  exitCode: number;
  startedAt?: string;
  finishedAt: string;
  oomKilled: boolean;
  /** Why the runtime could not start the process (or ports could not be published). */
  error?: string;
  /** How long the process ran, in milliseconds. */
  ranFor: number;
}

/** The bundle's `linux.cgroupsPath`, where the runtime puts the container's cgroups. */
async function configuredCgroupsPath(bundle: string): Promise<string | undefined> {
  try {
    const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: unknown } };
    return typeof config.linux?.cgroupsPath === 'string' ? config.linux.cgroupsPath : undefined;
  } catch {
    return undefined;
  }
}

/** The longest name a relay socket gets (`udp-65535.sock`), and the most a socket path may hold. */
const LONGEST_SOCKET_NAME = 14;
const MAX_SOCKET_PATH = 107;

/**
 * Where the port relay's sockets go: the container's directory when the socket paths fit in a
 * sockaddr_un, else a fresh private directory under the system's temporary directory (a
 * 64-digit id in a long data home path is easily too long).
 */
async function portSocketDir(containerDir: string): Promise<{ path: string; remove: () => Promise<void> }> {
  if (Buffer.byteLength(containerDir) + 1 + LONGEST_SOCKET_NAME <= MAX_SOCKET_PATH) return { path: containerDir, remove: async () => undefined };
  const path = await mkdtemp(join(tmpdir(), 'nocker-ports-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * One run of container `record`: the runtime in the foreground until the process ends; the
 * record says `running` (with pid and start time) once the runtime has started the process.
 */
async function runOnce(store: ContainerStore, record: ContainerRecord, options: SuperviseOptions, save: (patch: Partial<ContainerRecord>) => Promise<void>): Promise<RunOutcome> {
  const { id, runtime } = record;
  const dir = store.dir(id);
  const bundle = store.bundleDir(id);
  const pidFile = join(dir, PID_FILE);
  const runtimeLog = join(dir, RUNTIME_LOG);
  await mkdir(store.runtimeRoot, { recursive: true, mode: 0o700 });
  // What a supervisor that died left behind would make the run fail.
  await housekeeping(store, runtime, ['delete', '--force', id]);
  await rm(pidFile, { force: true });
  await rm(runtimeLog, { force: true });
  const keep = await supportsKeep(runtime);
  const cgroupsPath = await configuredCgroupsPath(bundle);
  // Docker's RestartCount: the first start is not a restart.
  if (record.startedAt !== undefined) await save({ restartCount: record.restartCount + 1 });

  const log = new LogWriter(join(dir, LOG_FILE));
  const deliver = (stream: LogStream, chunk: Buffer | string) => {
    const text = log.write(stream, chunk);
    if (text) options.onOutput?.(stream, text);
  };
  // Until the runtime has started the process, stderr may be the runtime's own complaint: held
  // back, and dropped if the runtime's log says it is one.
  let started = false;
  const held: Array<[LogStream, Buffer]> = [];
  const take = (stream: LogStream) => (chunk: Buffer) => (started ? deliver(stream, chunk) : held.push([stream, chunk]));

  const args = ['--root', store.runtimeRoot, '--log', runtimeLog, '--log-format', 'json', 'run', '--bundle', bundle, '--pid-file', pidFile, ...(keep ? ['--keep'] : []), id];
  const child = spawn(runtime, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', take('stdout'));
  child.stderr.on('data', take('stderr'));
  child.stdin.on('error', () => undefined); // the container may stop reading at any time
  // Without input the container reads end-of-file at once.
  if (options.stdin) options.stdin.pipe(child.stdin);
  else child.stdin.end();
  let spawnError: Error | undefined;
  let finishedMs = 0;
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      finishedMs = Date.now();
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => {
      finishedMs = Date.now();
      resolve({ code, signal });
    });
  });
  let running = true;
  void ended.then(() => (running = false));

  let startedAt: string | undefined;
  let startedMs = Date.now();
  let memoryCgroup: string | undefined;
  let ports: { close(): Promise<void> } | undefined;
  let portError: string | undefined;
  let oomSeen = 0;
  let oomWatch: NodeJS.Timeout | undefined;

  // `afterEnd`: the process was found to have started only once it had ended already.
  const onStarted = async (pid: number, at: number, afterEnd: boolean) => {
    started = true;
    // The runtime may have ended between the pid file's appearance and this look at it.
    startedMs = finishedMs > 0 ? Math.min(at, finishedMs) : at;
    startedAt = new Date(startedMs).toISOString();
    for (const [stream, chunk] of held.splice(0)) deliver(stream, chunk);
    // /proc says where the runtime really put the cgroup; the configured path is only a guess on v1.
    memoryCgroup = (await memoryCgroupOf(pid)) ?? (await expectedMemoryCgroup(cgroupsPath, id));
    if (!keep && memoryCgroup && !afterEnd) {
      // Without --keep the cgroup goes with the process: count kills while it is there.
      const cgroup = memoryCgroup;
      oomWatch = setInterval(() => void readOomKills(cgroup).then((n) => (oomSeen = Math.max(oomSeen, n ?? 0))), 200);
    }
    if (record.ports.length > 0 && !afterEnd) {
      const socketDir = await portSocketDir(dir);
      try {
        const publisher = await publishPorts(pid, record.ports, socketDir.path);
        ports = { close: () => publisher.close().finally(socketDir.remove) };
      } catch (err) {
        await socketDir.remove();
        // A container that ended meanwhile took its network namespace along: not a port problem.
        if (!running || !processAlive(pid)) return;
        // A container whose ports cannot be published is not what was asked for: it does not run.
        portError = `publishing ports: ${(err as Error).message}`;
        await housekeeping(store, runtime, ['kill', id, 'KILL']);
        return;
      }
    }
    // Running once reachable: whoever waits for `running` may connect to its ports at once.
    await save({ state: 'running', pid, startedAt, memoryCgroup, exitCode: undefined, finishedAt: undefined, oomKilled: undefined, error: undefined });
  };

  // The pid file appears once the runtime has started the process.
  let pidWatch: Promise<void> = (async () => {
    while (running) {
      const pid = await readPidFile(pidFile);
      if (pid !== undefined) return onStarted(pid, Date.now(), false);
      await sleep(POLL_MS);
    }
  })();
  const { code, signal } = await ended;
  await pidWatch;
  if (!started) {
    // The process may have started and ended between two looks at the pid file.
    const pid = await readPidFile(pidFile);
    if (pid !== undefined) {
      // When the runtime wrote the pid file is as close to the start as can be known now.
      const written = (await stat(pidFile).catch(() => undefined))?.mtimeMs ?? finishedMs;
      pidWatch = onStarted(pid, Math.min(Math.floor(written), finishedMs), true);
      await pidWatch;
    }
  }
  if (oomWatch) clearInterval(oomWatch);
  if (options.stdin) {
    options.stdin.unpipe(child.stdin);
    options.stdin.pause();
  }

  let exitCode = code ?? 128 + signalNumber(signal);
  let error: string | undefined;
  if (spawnError) {
    exitCode = 125;
    error = `cannot run the OCI runtime ${runtime}: ${spawnError.message}`;
  } else if (!started) {
    const messages = await runtimeErrors(runtimeLog);
    for (const [stream, chunk] of held.splice(0)) deliver(stream, stream === 'stderr' ? withoutRuntimeMessages(chunk.toString(), messages) : chunk);
    if (exitCode !== 0) {
      const message = messages.at(-1);
      error = message ? cleanRuntimeMessage(message) : `the OCI runtime exited with code ${exitCode} before starting the process`;
      exitCode = exitCodeForRuntimeError(error);
    }
  }
  if (portError !== undefined) {
    exitCode = 125;
    error = portError;
  }

  memoryCgroup ??= await expectedMemoryCgroup(cgroupsPath, id);
  const kills = keep && memoryCgroup ? ((await readOomKills(memoryCgroup)) ?? 0) : oomSeen;
  await housekeeping(store, runtime, ['delete', '--force', id]);
  await ports?.close().catch(() => undefined);
  await log.close().catch(() => undefined);
  await rm(pidFile, { force: true });
  return { exitCode, startedAt, finishedAt: new Date(finishedMs).toISOString(), oomKilled: kills > 0, error, ranFor: started ? finishedMs - startedMs : 0 };
}

/** True when the run should be followed by another, as the restart policy says. */
function shouldRestart(record: ContainerRecord, outcome: RunOutcome, restarts: number): boolean {
  // A process that never started will not start next time either (Docker does not retry it).
  if (outcome.error !== undefined) return false;
  const policy = record.restart;
  if (policy.kind === 'always') return true;
  if (policy.kind === 'on-failure') return outcome.exitCode !== 0 && (policy.maxRetries === undefined || restarts < policy.maxRetries);
  return false;
}

/**
 * The wait before the next restart: 100 ms first, twice the last wait after that (a minute at
 * most), 100 ms again after a run of 10 s or more.
 *
 * @example
 * restartDelay(0, 50); // 100
 * restartDelay(400, 50); // 800
 * restartDelay(400, 12_000); // 100
 */
export function restartDelay(lastDelay: number, ranFor: number): number {
  if (lastDelay <= 0 || ranFor >= STEADY_RUN_MS) return BACKOFF_START_MS;
  return Math.min(lastDelay * 2, BACKOFF_MAX_MS);
}

/** Waits `ms`, or less when a stop is asked for; resolves to true when it was. */
async function waitUnlessStopped(stopMarker: string, ms: number, signal?: AbortSignal): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(stopMarker) || signal?.aborted) return true;
    await sleep(Math.min(RECORD_POLL_MS, until - Date.now()));
  }
  return existsSync(stopMarker) || signal?.aborted === true;
}

/**
 * Runs container `id` until it ends for good: each run in the foreground through the OCI
 * runtime named in its record, output to `log.jsonl` (and `onOutput`), the record kept up to
 * date (`running` with pid, `exited` with exit code, OOM kill and error, `restarting` between
 * runs), ports published while it runs, restarts as its policy says unless a stop was asked
 * for, with a wait that doubles from 100 ms (at most a minute, back to 100 ms after a run of
 * 10 s or more). A container with `autoRemove` is removed at the end. Resolves to the last
 * record.
 *
 * @example
 * const record = await supervise(store, id, { onOutput: (stream, text) => process[stream].write(text) });
 * process.exitCode = record.exitCode;
 */
export async function supervise(store: ContainerStore, id: string, options: SuperviseOptions = {}): Promise<ContainerRecord> {
  let record = await store.get(id);
  if (!record) throw new NoSuchContainerError(id);
  // Two supervisors of one container would fight over it (each deletes what it finds in the runtime).
  if (isActive(record) && record.supervisorPid !== process.pid) throw new Error(`container ${record.name} is already running`);
  const stopMarker = join(store.dir(id), STOP_MARKER);
  let gone = false;
  const save = async (patch: Partial<ContainerRecord>): Promise<void> => {
    if (gone) return;
    try {
      record = await store.update(id, patch);
    } catch (err) {
      // Removed while it ran (rm -f): nothing left to record.
      if (err instanceof NoSuchContainerError || !existsSync(store.dir(id))) gone = true;
      else throw err;
    }
  };
  // A new start: a stop asked of an earlier run does not stop this one.
  await rm(stopMarker, { force: true });
  await save({ supervisorPid: process.pid });

  let stopping: Promise<unknown> | undefined;
  const onAbort = () => void (stopping ??= stopContainer(store, id).catch(() => undefined));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let delay = 0;
    for (let restarts = 0; !gone; restarts++) {
      if (options.signal?.aborted || existsSync(stopMarker)) break;
      const outcome = await runOnce(store, record, options, save);
      const restart = !existsSync(stopMarker) && !options.signal?.aborted && shouldRestart(record, outcome, restarts);
      // One write: a reader never sees `exited` between two runs (logs -f would stop following).
      await save({ state: restart ? 'restarting' : 'exited', pid: undefined, exitCode: outcome.exitCode, finishedAt: outcome.finishedAt, oomKilled: outcome.oomKilled, error: outcome.error });
      if (gone || !restart) break;
      delay = restartDelay(delay, outcome.ranFor);
      const stopped = await waitUnlessStopped(stopMarker, delay, options.signal);
      if (stopped) {
        await save({ state: 'exited' });
        break;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await stopping;
  }
  if (record.autoRemove && !gone) await store.remove(id);
  return record;
}

