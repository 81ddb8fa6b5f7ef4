/**
 * A container's root filesystem: the cached image rootfs, read-only, under an overlay whose
 * writable layer is the container's own; a full copy where overlayfs cannot be mounted.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How a container root was made. */
export type ContainerRootKind = 'overlay' | 'copy';

/**
 * The container's root: `<containerDir>/bundle/rootfs`, as the runtime bundle expects it.
 *
 * @example
 * containerRootPath(store.dir(id)); // '/var/lib/nocker/containers/0f3a…/bundle/rootfs'
 */
export function containerRootPath(containerDir: string): string {
  return join(resolve(containerDir), 'bundle', 'rootfs');
}

/** Undoes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * True when something is mounted at `path` in this process's mount namespace.
 *
 * @example
 * await isMountPoint('/proc'); // true
 */
export async function isMountPoint(path: string): Promise<boolean> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const target = resolve(path);
  return mountinfo.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === target);
}

/** Why an overlay cannot take these paths as mount options, or undefined when it can. */
function unmountablePath(paths: string[]): string | undefined {
  // Commas separate mount options and colons separate lower layers; neither can be escaped reliably.
  return paths.find((path) => /[,:\n]/.test(path));
}

/** Mounts the overlay; throws with mount's message when the kernel refuses. */
async function mountOverlay(lower: string, upper: string, work: string, target: string): Promise<void> {
  const bad = unmountablePath([lower, upper, work]);
  if (bad) throw new Error(`cannot pass ${bad} to overlayfs`);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target]);
}

/** Copies `source`'s tree into the empty `target`, keeping owners, modes, setuid bits, hard links and symlinks. */
async function copyTree(source: string, target: string): Promise<void> {
  await run('cp', ['-a', '--', `${source}/.`, `${target}/`]);
}

/** What {@link mountContainerRoot} may be told besides its paths. */
export interface MountOptions {
  /** Copy even where overlayfs would work (tests of the fallback; filesystems overlayfs mishandles). */
  forceCopy?: boolean;
}

/**
 * Makes the container's root at `<containerDir>/bundle/rootfs`: an overlayfs mount whose lower
 * layer is `cachedRootfs` (never written) and whose upper and work directories are the
 * container's `upper/` and `work/`; where overlayfs cannot be mounted (no kernel support, an
 * upper directory on overlayfs, no privilege), a full copy of `cachedRootfs` instead. A root
 * that is already mounted is left as it is.
 *
 * @example
 * const { path, kind } = await mountContainerRoot('/var/lib/nocker/rootfs/sha256-…', store.dir(id)); // kind: 'overlay'
 */
export async function mountContainerRoot(cachedRootfs: string, containerDir: string, options: MountOptions = {}): Promise<{ path: string; kind: ContainerRootKind }> {
  const dir = resolve(containerDir);
  const target = containerRootPath(dir);
  await mkdir(target, { recursive: true, mode: 0o755 });
  if (await isMountPoint(target)) return { path: target, kind: 'overlay' };
  if (!options.forceCopy) {
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    await mkdir(upper, { recursive: true, mode: 0o755 });
    await mkdir(work, { recursive: true, mode: 0o700 });
    try {
      await mountOverlay(resolve(cachedRootfs), upper, work, target);
      return { path: target, kind: 'overlay' };
    } catch {
      // Fall through to the copy: slower and bigger, but it runs everywhere.
      await rm(upper, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  }
  if ((await readdir(target)).length > 0) throw new Error(`${target} is not empty; cannot copy the image's root into it`);
  try {
    await copyTree(resolve(cachedRootfs), target);
  } catch (err) {
    await rm(target, { recursive: true, force: true });
    throw new Error(`copying the image's root filesystem into ${target} failed: ${(err as Error).message}`);
  }
  return { path: target, kind: 'copy' };
}

/**
 * Unmounts the container's root if it is mounted (lazily, so that a process still inside does
 * not keep it busy); does nothing when it is not, so it can be called any number of times.
 * A copied root stays on disk until the container's directory is removed.
 *
 * @example
 * await releaseContainerRoot(store.dir(id));
 */
export async function releaseContainerRoot(containerDir: string): Promise<void> {
  const target = containerRootPath(containerDir);
  // Stacked mounts (a root mounted twice by a race) all come off.
  while (await isMountPoint(target)) {
    try {
      await run('umount', ['-l', target]);
    } catch (err) {
      if (await isMountPoint(target)) throw new Error(`cannot unmount ${target}: ${(err as Error).message}`);
    }
  }
}
