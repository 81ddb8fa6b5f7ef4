/**
 * Applying layers onto a root filesystem directory, as a container runtime's snapshotter would:
 * entries created, replaced or removed (OCI whiteouts `.wh.NAME` and opaque directories
 * `.wh..wh..opq`), owners, modes and times kept. Every path is resolved inside the root, so a
 * layer whose symbolic links point at `/etc` or `../..` cannot write outside it.
 */
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openTarball } from './rootfs.ts';
import { readTar, type TarReadEntry } from '../../hub/oci/tar-reader.ts';
import { pathInsideRoot } from './tar.ts';

/** The prefix that marks a deletion in a layer. */
export const WHITEOUT_PREFIX = '.wh.';
/** The name that marks a directory whose lower contents are hidden. */
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** How many symbolic links one path may pass through, as Linux allows. */
const MAX_LINKS = 40;

/**
 * The host path that `path` (relative to the image's root) names, with every symbolic link on
 * the way resolved as if `root` were `/`: absolute targets restart at `root`, `..` stops at it.
 * Missing components are kept as they are. The last component is followed too, unless
 * `followLast` is false (a link being replaced is not followed).
 *
 * @example
 * // rootfs/etc -> /var/etc (a link), so:
 * await resolveInRoot('/tmp/rootfs', 'etc/passwd'); // '/tmp/rootfs/var/etc/passwd'
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const stats = await lstat(candidate).catch(() => undefined);
    if (!stats?.isSymbolicLink() || (!followLast && pending.length === 0)) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`"${path}" passes through more than ${MAX_LINKS} symbolic links`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return join(root, ...resolved);
}

/** Makes the directories of `relative` that are missing (mode 0755, owned by root). */
async function ensureDirectory(root: string, relative: string): Promise<string> {
  const host = await resolveInRoot(root, relative);
  await mkdir(host, { recursive: true, mode: 0o755 });
  return host;
}

/**
 * Hides what lower layers put under `relative` (an opaque marker): removes every path below it
 * that this layer did not write, descending into the directories this layer wrote into.
 */
async function hideLowerContents(root: string, relative: string, written: ReadonlySet<string>, writtenInto: ReadonlySet<string>): Promise<void> {
  const directory = await resolveInRoot(root, relative);
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    const path = relative === '' ? name : `${relative}/${name}`;
    const isDirectory = (await lstat(join(directory, name))).isDirectory();
    if (isDirectory && (written.has(path) || writtenInto.has(path))) await hideLowerContents(root, path, written, writtenInto);
    else if (!written.has(path)) await rm(join(directory, name), { recursive: true, force: true });
  }
}

/** The name a whiteout hides, or undefined when it names nothing (`.wh.`, `.wh..`). */
function hiddenName(whiteout: string): string | undefined {
  const name = whiteout.slice(WHITEOUT_PREFIX.length);
  return name === '' || name === '.' || name === '..' ? undefined : name;
}

/** What applying a layer left out. */
export interface UnpackReport {
  /** Entries skipped, and why (device nodes, FIFOs…). */
  notes: string[];
}

/**
 * Applies the layer at `layerPath` (a tar, plain, gzipped or zstd-compressed) onto `root`: see
 * {@link applyTar}.
 *
 * @example
 * for (const layer of layers) await applyLayer(rootfs, layer.path);
 */
export async function applyLayer(root: string, layerPath: string): Promise<UnpackReport> {
  return applyTar(root, await openTarball(layerPath));
}

/**
 * Applies an uncompressed tar stream onto `root`, reading the stream to its very end. Whiteouts
 * remove what lower layers put there; an opaque marker empties its directory of everything but
 * this layer's own entries. Device nodes and FIFOs are skipped (the runtime provides /dev).
 *
 * @example
 * await pipeline(createReadStream(blob), decompressor('gzip'), (tar) => applyTar(rootfs, tar));
 */
export async function applyTar(root: string, tar: AsyncIterable<Uint8Array>): Promise<UnpackReport> {
  const notes: string[] = [];
  // Paths this layer wrote, and the directories above them: an opaque marker hides lower
  // layers only, never this one's entries, wherever it comes in the archive.
  const written = new Set<string>();
  const writtenInto = new Set<string>();
  // One iterator for the archive and whatever follows its end, so that nothing is read twice.
  const bytes = tar[Symbol.asyncIterator]();
  try {
    for await (const entry of readTar({ [Symbol.asyncIterator]: () => bytes })) {
      const path = pathInsideRoot(entry.path);
      if (path === undefined) notes.push(`skipped "${entry.path}": the path leaves the root`);
      if (!path) continue;
      const parent = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      const name = posix.basename(path);
      if (name === OPAQUE_WHITEOUT) {
        await ensureDirectory(root, parent);
        await hideLowerContents(root, parent, written, writtenInto);
        continue;
      }
      if (name.startsWith(WHITEOUT_PREFIX)) {
        const hidden = hiddenName(name);
        if (hidden === undefined) notes.push(`skipped whiteout "${path}": it names no file`);
        else await rm(await resolveInRoot(root, parent === '' ? hidden : `${parent}/${hidden}`, false), { recursive: true, force: true });
        continue;
      }
      const skipped = await writeEntry(root, parent, name, entry);
      if (skipped) {
        notes.push(skipped);
        continue;
      }
      written.add(path);
      for (let p = parent; p !== '' && !writtenInto.has(p); p = posix.dirname(p) === '.' ? '' : posix.dirname(p)) writtenInto.add(p);
    }
    // The end-of-archive blocks and any padding after them: a caller hashing the stream (a diffID)
    // must see every byte.
    while (!(await bytes.next()).done);
  } catch (err) {
    // Closes the source (a file stream is destroyed) instead of leaving it open half-read.
    await bytes.return?.().catch(() => undefined);
    throw err;
  }
  return { notes };
}

/** Writes one entry at `parent/name`; resolves to a note when it was skipped. */
async function writeEntry(root: string, parent: string, name: string, entry: TarReadEntry): Promise<string | undefined> {
  const path = parent === '' ? name : `${parent}/${name}`;
  const target = join(await ensureDirectory(root, parent), name);
  const existing = await lstat(target).catch(() => undefined);
  if (entry.type === 'directory') {
    if (existing && !existing.isDirectory()) await rm(target, { force: true });
    if (!existing?.isDirectory()) await mkdir(target);
  } else {
    if (existing) await rm(target, { recursive: true, force: true });
    switch (entry.type) {
      case 'file':
        await pipeline(entry.content, createWriteStream(target, { mode: 0o600 }));
        break;
      case 'symlink':
        await symlink(entry.linkname, target);
        break;
      case 'hardlink': {
        const linked = pathInsideRoot(entry.linkname);
        if (linked === undefined) return `skipped hard link "${path}": its target "${entry.linkname}" leaves the root`;
        const source = await resolveInRoot(root, linked, false);
        const stats = await lstat(source).catch(() => undefined);
        if (!stats || stats.isDirectory()) return `skipped hard link "${path}": "${entry.linkname}" is not a file of the image`;
        await link(source, target);
        return undefined;
      }
      default:
        return `skipped ${entry.type} "${path}": layers' device nodes and FIFOs are not recreated`;
    }
  }
  // chown before chmod: changing the owner clears setuid and setgid bits.
  await lchown(target, entry.uid, entry.gid);
  if (entry.type !== 'symlink') {
    await chmod(target, entry.mode & 0o7777);
    await utimes(target, entry.mtime, entry.mtime);
  }
  return undefined;
}
