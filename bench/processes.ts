/**
 * The servers under test: a Hub or CNCF Distribution started as a child process on a free
 * loopback port with its own temporary data, and /proc sampling of their memory and CPU.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DISTRIBUTION_BINARY = '/usr/bin/docker-registry';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** What runs and where its data lives, for the report. */
  description: string;
  logPath: string;
  /** From spawn to the first 200 on `GET /v2/`. */
  readyMs: number;
  /** How the process ended if it did so before stop() (its data dir and log are then kept). */
  unexpectedExit(): string | undefined;
  /** The last lines of its output. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Keep the temporary data directory after stopping (for inspection). */
  keep?: boolean;
}

export interface HubStartOptions extends StartOptions {
  /** Extra environment for the Hub (DATABASE_URL, NOCKER_S3_*, …); wins over the defaults. */
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}

/** A free TCP port on 127.0.0.1 (the OS picks it; another process could take it meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The administrator of a Hub the bench starts; it pushes and pulls through tokens, as docker does. */
export const BENCH_ADMIN = { username: 'admin', password: 'nocker-bench-admin' } as const;

/** Starts `node cli/nocker.js hub serve` on fresh data (fs blobs + PGlite unless env says otherwise). */
export async function startHub(options: HubStartOptions = {}): Promise<ServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'nocker-bench-hub-'));
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    NOCKER_LISTEN: `127.0.0.1:${port}`,
    NOCKER_DATA_DIR: join(dir, 'data'),
    NOCKER_ADMIN_PASSWORD: BENCH_ADMIN.password,
    ...options.env,
  };
  // The working directory is the temp dir, so no stray ./nocker-hub.yaml is picked up.
  const args = [...(options.nodeArgs ?? []), join(REPO_ROOT, 'cli', 'nocker.js'), 'hub', 'serve'];
  return launch('hub', process.execPath, args, { dir, env, url: `http://127.0.0.1:${port}`, keep: options.keep }, (pid) =>
    `nocker hub (pid ${pid}; data ${join(dir, 'data')}${options.env && Object.keys(options.env).length ? `; env ${Object.keys(options.env).join(',')}` : ''})`,
  );
}

export function distributionAvailable(): boolean {
  return existsSync(DISTRIBUTION_BINARY);
}

/** Starts Debian's CNCF Distribution with filesystem storage in a temp dir and deletes enabled. */
export async function startDistribution(options: StartOptions = {}): Promise<ServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'nocker-bench-distribution-'));
  const port = await freePort();
  // The stock config (Debian's /etc/docker/registry/config.yml) plus what the bench needs.
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);
  const version = distributionVersion();
  return launch('distribution', DISTRIBUTION_BINARY, ['serve', configPath], { dir, env: process.env, url: `http://127.0.0.1:${port}`, keep: options.keep }, (pid) =>
    `CNCF Distribution ${version} (pid ${pid}; filesystem ${join(dir, 'data')})`,
  );
}

function distributionVersion(): string {
  try {
    return execFileSync(DISTRIBUTION_BINARY, ['--version'], { encoding: 'utf8' }).trim().split(/\s+/).pop() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface LaunchOptions {
  dir: string;
  env: Record<string, string | undefined>;
  url: string;
  keep?: boolean;
}

async function launch(name: string, command: string, args: string[], options: LaunchOptions, describe: (pid: number) => string): Promise<ServerProcess> {
  const logPath = join(options.dir, 'server.log');
  // Output goes straight to a file: the bench process never spends cycles draining a pipe.
  const logFd = openSync(logPath, 'a');
  const spawnedAt = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: options.dir, env: options.env, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let running = true;
  let stopping = false;
  let exitedHow: string | undefined;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      running = false;
      exitedHow = signal ? `signal ${signal}` : `exit code ${code}`;
      done();
    }),
  );
  const unexpectedExit = () => (!stopping && !running ? exitedHow : undefined);
  const stop = async () => {
    const died = unexpectedExit();
    stopping = true;
    if (running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    // A server that died on its own keeps its data and log for a post-mortem.
    if (!options.keep && !died) await rm(options.dir, { recursive: true, force: true });
  };
  const pid = child.pid;
  if (pid === undefined) {
    await stop();
    throw new Error(`${name} did not start (${command})`);
  }
  try {
    await waitReady(options.url, () => running);
  } catch (err) {
    const log = tail(logPath);
    await stop();
    throw new Error(`${name} did not become ready: ${(err as Error).message}\n${log}`);
  }
  return {
    name,
    url: options.url,
    pid,
    description: describe(pid),
    logPath,
    readyMs: performance.now() - spawnedAt,
    unexpectedExit,
    logTail: () => tail(logPath),
    stop,
  };
}

/** Polls `GET /v2/` until it answers (200, or 401 from a registry that wants a login), the process dies or the time runs out. */
async function waitReady(url: string, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the process exited');
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${url}/v2/ within ${READY_TIMEOUT_MS / 1000} s`);
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

// --- /proc sampling -------------------------------------------------------------------------

export interface ProcSample {
  rssBytes: number;
  /** Peak RSS since start or since the last resetPeak(). */
  hwmBytes: number;
  /** utime + stime. */
  cpuSeconds: number;
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Memory and CPU of `pid` from /proc, or undefined when it cannot be read. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM'), cpuSeconds: ticks / ticksPerSecond() };
  } catch {
    return undefined;
  }
}

/** CPU seconds all processes on the machine have used since boot (/proc/stat), if readable. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
    return Number.isFinite(ticks) ? ticks / ticksPerSecond() : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (clear_refs 5); false when the kernel refuses. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface ResourceUse {
  /** RSS when monitoring began. */
  startRssMiB: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

/**
 * Samples a process's RSS while a workload runs. The peak is the larger of the sampled maximum
 * and VmHWM (when it could be reset at the start, so it covers only this workload).
 */
export class ResourceMonitor {
  private readonly timer: NodeJS.Timeout;
  private readonly start: ProcSample | undefined;
  private readonly hwmValid: boolean;
  private maxRss = 0;

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.hwmValid = resetPeak(pid);
    this.start = readProc(pid);
    this.maxRss = this.start?.rssBytes ?? 0;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): ResourceUse | undefined {
    clearInterval(this.timer);
    const end = this.sample();
    if (!this.start || !end) return undefined;
    const peak = this.hwmValid ? Math.max(this.maxRss, end.hwmBytes) : this.maxRss;
    return { startRssMiB: this.start.rssBytes / (1024 * 1024), peakRssMiB: peak / (1024 * 1024), cpuSeconds: end.cpuSeconds - this.start.cpuSeconds };
  }

  private sample(): ProcSample | undefined {
    const now = readProc(this.pid);
    if (now) this.maxRss = Math.max(this.maxRss, now.rssBytes);
    return now;
  }
}
