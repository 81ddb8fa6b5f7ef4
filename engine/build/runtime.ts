/**
 * Running a build step's command through an existing OCI runtime (runc or crun): which runtime,
 * the runtime bundle's `config.json`, and the run itself with its output and exit code.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Thrown when no runtime can run build steps or containers here. */
export class RuntimeUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}

/** The runtime a build uses: its name (as shown) and the executable's path. */
export interface OciRuntime {
  name: string;
  path: string;
}

function findExecutable(name: string, env: Record<string, string | undefined>): string | undefined {
  const candidates = isAbsolute(name) ? [name] : (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).map((dir) => join(dir, name));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when the host mounts the unified cgroup v2 hierarchy. */
export function usesCgroupV2(): boolean {
  return existsSync('/sys/fs/cgroup/cgroup.controllers');
}

/**
 * The runtime to run build steps and containers with: `NOCKER_RUNTIME` (a name on PATH or a path) when set;
 * else crun where cgroup v2 is in use and crun is installed, else runc, else crun. Throws a
 * {@link RuntimeUnavailableError} saying what to install.
 *
 * @example
 * chooseRuntime(process.env); // { name: 'runc', path: '/usr/sbin/runc' }
 */
export function chooseRuntime(env: Record<string, string | undefined>, cgroupV2 = usesCgroupV2()): OciRuntime {
  const wanted = env.NOCKER_RUNTIME?.trim();
  if (wanted) {
    const path = findExecutable(wanted, env);
    if (!path) throw new RuntimeUnavailableError(`NOCKER_RUNTIME is "${wanted}", which is not an executable on PATH`);
    return { name: wanted, path };
  }
  const order = cgroupV2 ? ['crun', 'runc'] : ['runc', 'crun'];
  for (const name of order) {
    const path = findExecutable(name, env);
    if (path) return { name, path };
  }
  throw new RuntimeUnavailableError('run steps and containers need an OCI runtime and none was found: install runc (apt-get install runc) or crun (apt-get install crun), or set NOCKER_RUNTIME');
}

/** What the step runs, and how. */
export interface ContainerSpec {
  args: string[];
  env: string[];
  cwd: string;
  /** `none`: a network namespace of its own (loopback only); `host`: the host's network. */
  network: 'none' | 'host';
  /** Host files bind-mounted read-only: container path → host path. */
  binds?: Record<string, string>;
}

/** The capabilities Docker gives a container by default: what build steps get, and `run` below high security. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The kernel file systems every container gets, as Docker mounts them. */
export const STANDARD_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
] as const;

/** Kernel paths hidden from containers, and those they may only read (Docker's lists). */
export const MASKED_PATHS = ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
export const READONLY_PATHS = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The mount points every container gets; a layer never holds what is under them. */
export const RUNTIME_MOUNT_POINTS = ['proc', 'sys', 'dev'] as const;

/**
 * The runtime bundle's `config.json` (OCI runtime spec 1.0) for a build step: root in
 * `rootfs/`, writable; the process as root with Docker's default capabilities; its own PID,
 * IPC, UTS and mount namespaces, and its own network unless the host's is asked for.
 *
 * @example
 * bundleConfig({ args: ['/bin/sh', '-c', 'make'], env: ['PATH=/bin'], cwd: '/src', network: 'none' });
 */
export function bundleConfig(spec: ContainerSpec): Record<string, unknown> {
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (spec.network === 'none') namespaces.push({ type: 'network' });
  const binds = Object.entries(spec.binds ?? {}).map(([destination, source]) => ({ destination, type: 'bind', source, options: ['rbind', 'ro', 'nosuid', 'nodev'] }));
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      capabilities: { bounding: DEFAULT_CAPABILITIES, effective: DEFAULT_CAPABILITIES, permitted: DEFAULT_CAPABILITIES },
      noNewPrivileges: false,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'nocker-build',
    mounts: [...STANDARD_MOUNTS, ...binds],
    linux: { namespaces, maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS },
  };
}

/** How a container run ended. */
export interface ContainerResult {
  exitCode: number;
  /** The last lines it printed (stdout and stderr together). */
  tail: string[];
}

/** How many of a step's last output lines a failure shows. */
export const TAIL_LINES = 20;

/**
 * Runs the bundle in `bundle` as container `id` and resolves when it ends, with its exit code
 * (128 + signal number when killed) and its last lines; each line goes to `onLine` as it comes.
 * Aborting `signal` kills the container. The container is deleted afterwards in every case.
 *
 * @example
 * const { exitCode, tail } = await runContainer(chooseRuntime(process.env), bundleDir, 'nocker-build-1', console.log);
 */
export async function runContainer(runtime: OciRuntime, bundle: string, id: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<ContainerResult> {
  signal?.throwIfAborted();
  const tail: string[] = [];
  // One pipe for stdout and stderr (the shell joins them, then becomes the runtime), so that
  // lines keep the order the command wrote them in; two pipes would race.
  const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', runtime.path, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'ignore'] });
  const reader = (async () => {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine(line);
    }
  })();
  const kill = () => void runRuntime(runtime, ['kill', id, 'KILL']);
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, killedBy) => resolve(code ?? 128 + signalNumber(killedBy)));
    });
    await reader;
    return { exitCode, tail };
  } finally {
    signal?.removeEventListener('abort', kill);
    await runRuntime(runtime, ['delete', '--force', id]);
  }
}

/** The number of signal `name` (0 for none): a process it killed exits with 128 plus it. */
export function signalNumber(name: NodeJS.Signals | null): number {
  return name ? osConstants.signals[name] : 0;
}

/** Runs a runtime housekeeping command (`kill`, `delete`), ignoring its failure. */
function runRuntime(runtime: OciRuntime, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(runtime.path, args, { stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('close', () => resolve());
  });
}
