/**
 * What a `run` step changed in a root filesystem: a snapshot of every path's metadata before the
 * step, another after, and their difference as tar entries — added and changed paths with their
 * parent directories, and a whiteout for each deletion. Content is never hashed: any write
 * changes a file's ctime, which the kernel sets and a process cannot turn back.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { TarEntry } from './tar.ts';
import { WHITEOUT_PREFIX } from './unpack.ts';

/** A path's metadata as far as a layer cares. */
export interface PathState {
  kind: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  nlink: bigint;
}

/** Every path under a root (relative, `/`-separated) with its state. */
export type Snapshot = Map<string, PathState>;

function kindOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): PathState['kind'] {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * Records the state of every path under `root`, leaving out the `excluded` paths and what is
 * under them (the runtime's mount points).
 *
 * @example
 * const before = await snapshot(rootfs, new Set(['proc', 'sys', 'dev']));
 */
export async function snapshot(root: string, excluded: ReadonlySet<string> = new Set()): Promise<Snapshot> {
  const states: Snapshot = new Map();
  const walk = async (relative: string): Promise<void> => {
    const names = await readdir(join(root, relative));
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      if (excluded.has(path)) continue;
      const stats = await lstat(join(root, path), { bigint: true });
      const kind = kindOf(stats);
      states.set(path, {
        kind,
        mode: Number(stats.mode & 0o7777n),
        uid: Number(stats.uid),
        gid: Number(stats.gid),
        size: stats.size,
        mtimeNs: stats.mtimeNs,
        ctimeNs: stats.ctimeNs,
        ino: stats.ino,
        nlink: stats.nlink,
      });
      if (kind === 'directory') await walk(path);
    }
  };
  await walk('');
  return states;
}

function changed(before: PathState, after: PathState): boolean {
  return (
    before.kind !== after.kind ||
    before.mode !== after.mode ||
    before.uid !== after.uid ||
    before.gid !== after.gid ||
    before.size !== after.size ||
    before.mtimeNs !== after.mtimeNs ||
    before.ctimeNs !== after.ctimeNs ||
    before.ino !== after.ino
  );
}

/** The changes between two snapshots of `root`, as a layer's entries, with what was left out. */
export interface LayerChanges {
  entries: TarEntry[];
  /** Paths skipped, and why (sockets, FIFOs, device nodes). */
  notes: string[];
}

const parentOf = (path: string) => (posix.dirname(path) === '.' ? '' : posix.dirname(path));

/** `path` and each directory above it, innermost first, without the root. */
function withAncestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== ''; p = parentOf(p)) out.push(p);
  return out;
}

/**
 * The entries of the layer that turns `before` into `after` (both snapshots of `root`, `after`
 * taken last): every added or changed path with the directories above it, files read from
 * `root` when the layer is written; a whiteout `.wh.NAME` for each deleted path whose parent
 * still exists; hard links kept between files of the layer.
 *
 * @example
 * const { entries } = await diffSnapshots(rootfs, before, await snapshot(rootfs, excluded));
 * const layer = await writeLayer(entries, { sourceDateEpoch });
 */
export async function diffSnapshots(root: string, before: Snapshot, after: Snapshot): Promise<LayerChanges> {
  const notes: string[] = [];
  const included = new Set<string>();
  for (const [path, state] of after) {
    const previous = before.get(path);
    if (previous && !changed(previous, state)) continue;
    if (state.kind === 'other') {
      notes.push(`left out "${path}": sockets, FIFOs and device nodes do not go into layers`);
      continue;
    }
    for (const p of withAncestors(path)) included.add(p);
  }
  const whiteouts: string[] = [];
  for (const path of before.keys()) {
    const parent = parentOf(path);
    // Only the topmost deleted path: its whiteout hides what was below it. Under a directory
    // that became a file or a link, its new entry replaces the whole tree (a whiteout there
    // would follow the link).
    if (!after.has(path) && (parent === '' || after.get(parent)?.kind === 'directory')) {
      whiteouts.push(path);
      for (const p of withAncestors(parent)) included.add(p);
    }
  }

  const entries: TarEntry[] = [];
  // The first file of each inode in the layer holds the content; the others link to it.
  const firstOfInode = new Map<bigint, string>();
  for (const path of [...included].sort()) {
    const state = after.get(path) as PathState;
    const common = { path, mode: state.mode, uid: state.uid, gid: state.gid, mtime: Number(state.mtimeNs / 1_000_000_000n) };
    const full = join(root, path);
    if (state.kind === 'directory') {
      entries.push({ ...common, type: 'directory' });
    } else if (state.kind === 'symlink') {
      entries.push({ ...common, type: 'symlink', target: await readlink(full) });
    } else {
      const first = state.nlink > 1n ? firstOfInode.get(state.ino) : undefined;
      if (first !== undefined) {
        entries.push({ ...common, type: 'hardlink', target: first });
        continue;
      }
      if (state.nlink > 1n) firstOfInode.set(state.ino, path);
      entries.push({ ...common, type: 'file', size: Number(state.size), open: () => createReadStream(full) });
    }
  }
  for (const path of whiteouts) {
    const parent = parentOf(path);
    const name = `${WHITEOUT_PREFIX}${posix.basename(path)}`;
    entries.push({ type: 'file', path: parent === '' ? name : `${parent}/${name}`, mode: 0o644, size: 0, open: async function* () {} });
  }
  return { entries, notes };
}
