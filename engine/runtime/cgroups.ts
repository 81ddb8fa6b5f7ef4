/**
 * Where a container's memory cgroup lives on the host, on cgroup v1 and v2, and what the kernel
 * counts there: the OOM kills that tell `inspect` the container died for memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';

/** A mounted cgroup hierarchy: where it is mounted and which cgroup its mount shows. */
interface Hierarchy {
  version: 1 | 2;
  mountPoint: string;
  /** The cgroup at the mount point (not `/` when a cgroup namespace or a bind mount shows a subtree). */
  root: string;
}

/** Undoes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The hierarchy that holds the memory controller, from `/proc/self/mountinfo`: a v1 hierarchy
 * mounted with the `memory` option, else the unified (v2) one. Undefined when neither is mounted.
 *
 * @example
 * memoryHierarchy(); // { version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/' }
 */
export function memoryHierarchy(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): Hierarchy | undefined {
  let unified: Hierarchy | undefined;
  for (const line of mountinfo.split('\n')) {
    const [mountFields, superFields] = line.split(' - ');
    if (!mountFields || !superFields) continue;
    const fields = mountFields.split(' ');
    const [fsType, , superOptions = ''] = superFields.split(' ');
    const root = unescapeMountPath(fields[3] ?? '/');
    const mountPoint = unescapeMountPath(fields[4] ?? '');
    if (fsType === 'cgroup' && superOptions.split(',').includes('memory')) return { version: 1, mountPoint, root };
    if (fsType === 'cgroup2' && !unified) unified = { version: 2, mountPoint, root };
  }
  return unified;
}

/**
 * The memory cgroup named in a `/proc/<pid>/cgroup` text: the v1 line listing `memory`, else
 * the v2 line (`0::/path`).
 *
 * @example
 * memoryCgroupIn('4:memory:/nocker/abc\n0::/\n', 1); // '/nocker/abc'
 */
export function memoryCgroupIn(procCgroup: string, version: 1 | 2): string | undefined {
  for (const line of procCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, hierarchyId, controllers = '', path] = match;
    if (version === 1 && controllers.split(',').includes('memory')) return path;
    if (version === 2 && hierarchyId === '0' && controllers === '') return path;
  }
  return undefined;
}

/** The host directory of `cgroup` (a path as /proc/<pid>/cgroup shows it) in `hierarchy`. */
function hostDirectory(hierarchy: Hierarchy, cgroup: string): string | undefined {
  const relative = posix.relative(hierarchy.root, cgroup);
  if (relative.startsWith('..')) return undefined;
  return join(hierarchy.mountPoint, relative);
}

/**
 * The host directory of the memory cgroup process `pid` is in, or undefined when the process
 * is gone or no memory hierarchy is mounted. Read this while the container runs: it is the
 * truth, whatever the runtime made of the configured `cgroupsPath`.
 *
 * @example
 * await memoryCgroupOf(4242); // '/sys/fs/cgroup/memory/user.slice/nocker/0f3a…'
 */
export async function memoryCgroupOf(pid: number | 'self'): Promise<string | undefined> {
  const hierarchy = memoryHierarchy();
  if (!hierarchy) return undefined;
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => undefined);
  const cgroup = text === undefined ? undefined : memoryCgroupIn(text, hierarchy.version);
  return cgroup === undefined ? undefined : hostDirectory(hierarchy, cgroup);
}

/**
 * Where runc puts a container's memory cgroup for `cgroupsPath` (the bundle's
 * `linux.cgroupsPath`; runc uses the container id when there is none), for when the container
 * ended before its cgroup could be read from /proc. An absolute path is taken from the
 * hierarchy's root. A relative one is runc's surprise: on v1 it is joined to the calling
 * process's own memory cgroup, on v2 to the parent of its own cgroup.
 *
 * @example
 * await expectedMemoryCgroup('nocker/0f3a…', '0f3a…'); // '/sys/fs/cgroup/memory/process_api/e4d0…/nocker/0f3a…' on v1
 */
export async function expectedMemoryCgroup(cgroupsPath: string | undefined, id: string): Promise<string | undefined> {
  const hierarchy = memoryHierarchy();
  if (!hierarchy) return undefined;
  const inner = posix.normalize(cgroupsPath?.trim() || id);
  if (isAbsolute(inner)) return hostDirectory(hierarchy, inner);
  const ownText = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  const own = memoryCgroupIn(ownText, hierarchy.version) ?? '/';
  const parent = hierarchy.version === 1 ? own : posix.dirname(own);
  return hostDirectory(hierarchy, posix.join(parent, inner));
}

/**
 * How many times the kernel's OOM killer killed a process in the memory cgroup at `directory`
 * (v2: `oom_kill` in `memory.events`; v1: `oom_kill` in `memory.oom_control`). Undefined when
 * the cgroup is gone or its files do not say.
 *
 * @example
 * await readOomKills('/sys/fs/cgroup/nocker/0f3a…'); // 1
 */
export async function readOomKills(directory: string): Promise<number | undefined> {
  for (const file of ['memory.events', 'memory.oom_control']) {
    const text = await readFile(join(directory, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const match = /^oom_kill (\d+)$/m.exec(text);
    return match ? Number(match[1]) : undefined;
  }
  return undefined;
}

/**
 * True when the host accounts swap in memory cgroups, so that a memory limit can cover swap
 * too (`linux.resources.memory.swap`; runc refuses it otherwise). v1: `memory.memsw.*` files
 * exist (swapaccount on); v2: `memory.swap.max` exists in non-root cgroups.
 *
 * @example
 * const memory = { limit, ...(swapAccounted() ? { swap: limit } : {}) };
 */
export function swapAccounted(): boolean {
  const hierarchy = memoryHierarchy();
  if (!hierarchy) return false;
  if (hierarchy.version === 1) return existsSync(join(hierarchy.mountPoint, 'memory.memsw.limit_in_bytes'));
  const own = memoryCgroupIn(readFileSync('/proc/self/cgroup', 'utf8'), 2) ?? '/';
  const dir = hostDirectory(hierarchy, own);
  // The root cgroup has no swap files of its own; the controller list says whether children get them.
  if (dir === undefined || own === '/') {
    const controllers = existsSync(join(hierarchy.mountPoint, 'cgroup.controllers')) ? readFileSync(join(hierarchy.mountPoint, 'cgroup.controllers'), 'utf8') : '';
    return controllers.split(/\s+/).includes('memory') && existsSync('/proc/swaps');
  }
  return existsSync(join(dir, 'memory.swap.max'));
}
