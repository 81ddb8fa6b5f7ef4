/**
 * The detached supervisor: a process of its own (`run -d`, `start`) that outlives the command
 * that started it and supervises one container until it ends for good. Started by
 * {@link startDetachedSupervisor}; run as a program, this module is that process.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ContainerStore, NoSuchContainerError } from './containers.ts';
import { supervise } from './supervisor.ts';

/** The supervisor's own output (its errors), in the container's directory. */
export const SUPERVISOR_LOG = 'supervisor.log';
/** How long a supervisor may take to start its container before the start counts as failed. */
const START_TIMEOUT_MS = 30_000;
const POLL_MS = 25;

/** The supervisor's log, or a note that it is empty. */
async function supervisorLogText(dir: string): Promise<string> {
  const text = (await readFile(join(dir, SUPERVISOR_LOG), 'utf8').catch(() => '')).trim();
  return text || '(the supervisor printed nothing)';
}

/**
 * Starts a detached supervisor for container `id`: this module run by Node with tsx's loader
 * (an absolute URL, so any working directory will do), in a session of its own, its output to
 * `supervisor.log` in the container's directory. Resolves to the supervisor's pid once the
 * record shows the container started (running, or already exited); rejects with the
 * supervisor's log when it ended or stalled without starting it.
 *
 * @example
 * const supervisorPid = await startDetachedSupervisor(store, record.id);
 */
export async function startDetachedSupervisor(store: ContainerStore, id: string): Promise<number> {
  const before = await store.get(id);
  if (!before) throw new NoSuchContainerError(id);
  const dir = store.dir(id);
  const launchedAt = new Date().toISOString();
  const out = openSync(join(dir, SUPERVISOR_LOG), 'a', 0o600);
  let child;
  try {
    const loader = import.meta.resolve('tsx/esm');
    child = spawn(process.execPath, ['--import', loader, fileURLToPath(import.meta.url), store.dataHome, id], { detached: true, stdio: ['ignore', out, out], cwd: '/' });
  } finally {
    closeSync(out);
  }
  child.unref();
  const pid = child.pid;
  let ended: string | undefined;
  child.once('error', (err) => (ended = err.message));
  child.once('exit', (code, signal) => (ended = signal ? `killed by ${signal}` : `exit code ${code}`));

  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const record = await store.get(id);
    if (pid !== undefined && record?.supervisorPid === pid) {
      const started = record.state === 'running' || record.state === 'restarting' || (record.state === 'exited' && (record.finishedAt ?? '') >= launchedAt);
      if (started) return pid;
    }
    // An autoRemove container that ran and was removed before we looked.
    if (!record && ended === 'exit code 0' && pid !== undefined) return pid;
    if (ended !== undefined) throw new Error(`the supervisor of container ${before.name} ended (${ended}) without starting it:\n${await supervisorLogText(dir)}`);
    if (Date.now() > until) throw new Error(`the supervisor of container ${before.name} did not start it within ${START_TIMEOUT_MS / 1000} seconds:\n${await supervisorLogText(dir)}`);
    await sleep(POLL_MS);
  }
}

/** The supervisor process: supervises the container, and stops it when the process is told to end. */
async function main(dataHome: string, id: string): Promise<void> {
  // The terminal that started it may close; the container keeps running.
  process.on('SIGHUP', () => undefined);
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort());
  process.on('SIGINT', () => controller.abort());
  const record = await supervise(new ContainerStore(dataHome), id, { signal: controller.signal });
  process.stdout.write(`${new Date().toISOString()} container ${record.name} ended with exit code ${record.exitCode ?? 'unknown'}\n`);
}

/** True when this module is the program Node runs (not imported). */
function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  const [dataHome, id] = process.argv.slice(2);
  if (!dataHome || !id) {
    process.stderr.write('usage: supervisor-main.ts DATA_HOME CONTAINER_ID\n');
    process.exit(2);
  }
  main(dataHome, id).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${new Date().toISOString()} supervisor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
