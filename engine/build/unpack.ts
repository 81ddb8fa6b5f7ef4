/**
 * Applying layers onto a root filesystem directory, as a container runtime's snapshotter would:
 * entries created, replaced or removed (OCI whiteouts `.wh.NAME` and opaque directories
 * `.wh..wh..opq`), owners, modes and times kept. Every path is resolved inside the root, so a
 * layer whose symbolic links point at `/etc` or `../..` cannot write outside it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isGzipFile } from './rootfs.ts';
import { readTar, type TarReadEntry } from './tar-reader.ts';
import { normalizeTarPath } from './tar.ts';

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

/** Removes everything in `directory` except the names in `keep`. */
async function emptyDirectory(directory: string, keep: (name: string) => boolean): Promise<void> {
  const names = await readdir(directory).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => !keep(n)).map((n) => rm(join(directory, n), { recursive: true, force: true })));
}

/** What applying a layer left out. */
export interface UnpackReport {
  /** Entries skipped, and why (device nodes, FIFOs…). */
  notes: string[];
}

/** The uncompressed tar stream of a layer file, gzipped or not. */
async function openLayer(path: string): Promise<Readable> {
  const raw = createReadStream(path);
  if (!(await isGzipFile(path))) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/**
 * Applies the layer at `layerPath` (a tar, gzipped or not) onto `root`. Whiteouts remove what
 * lower layers put there; an opaque marker empties its directory of everything but this layer's
 * own entries. Device nodes and FIFOs are skipped (the runtime provides /dev).
 *
 * @example
 * for (const layer of layers) await applyLayer(rootfs, layer.path);
 */
export async function applyLayer(root: string, layerPath: string): Promise<UnpackReport> {
  const notes: string[] = [];
  // Paths this layer wrote: an opaque marker hides lower layers only, not this one's entries.
  const written = new Set<string>();
  for await (const entry of readTar(await openLayer(layerPath))) {
    let path: string;
    try {
      path = normalizeTarPath(entry.path);
    } catch {
      notes.push(`skipped "${entry.path}": the path leaves the root`);
      continue;
    }
    if (path === '') continue;
    const parent = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const name = posix.basename(path);
    if (name === OPAQUE_WHITEOUT) {
      const directory = await ensureDirectory(root, parent);
      await emptyDirectory(directory, (n) => written.has(parent === '' ? n : `${parent}/${n}`));
      continue;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const hidden = await resolveInRoot(root, `${parent}/${name.slice(WHITEOUT_PREFIX.length)}`, false);
      await rm(hidden, { recursive: true, force: true });
      continue;
    }
    const skipped = await writeEntry(root, parent, name, entry);
    if (skipped) notes.push(skipped);
    else written.add(path);
  }
  return { notes };
}

/** Writes one entry at `parent/name`; resolves to a note when it was skipped. */
async function writeEntry(root: string, parent: string, name: string, entry: TarReadEntry): Promise<string | undefined> {
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
        const source = await resolveInRoot(root, normalizeTarPath(entry.linkname), false);
        const stats = await lstat(source).catch(() => undefined);
        if (!stats || stats.isDirectory()) return `skipped hard link "${parent}/${name}": "${entry.linkname}" is not a file of the image`;
        await link(source, target);
        return undefined;
      }
      default:
        return `skipped ${entry.type} "${parent}/${name}": layers' device nodes and FIFOs are not recreated`;
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
