/**
 * Reading a root filesystem tarball (plain, gzipped or zstd-compressed) into tar entries for a
 * new layer. File contents are spooled to a directory on the way, so that the entries can be
 * re-emitted in sorted order without holding any file in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compressionOf, type Compression, decompressor, MAGIC_LENGTH } from '../../hub/oci/compression.ts';
import { readTar } from '../../hub/oci/tar-reader.ts';
import { pathInsideRoot, type TarEntry } from './tar.ts';

export interface Rootfs {
  entries: TarEntry[];
  /** What was left out, and why (device nodes, FIFOs, links to nothing…). */
  notes: string[];
}

/**
 * How the file at `path` is compressed, told by its first bytes (gzip `1f 8b`, zstd
 * `28 b5 2f fd`), whatever its name or media type says.
 *
 * @example
 * await tarballCompression('layer.tar.zst'); // 'zstd'
 */
export async function tarballCompression(path: string): Promise<Compression> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC_LENGTH);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return compressionOf(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * True when the file starts with the gzip magic bytes `1f 8b`.
 *
 * @example
 * await isGzipFile('rootfs.tar.gz'); // true
 */
export async function isGzipFile(path: string): Promise<boolean> {
  return (await tarballCompression(path)) === 'gzip';
}

/**
 * The uncompressed bytes of a tar file: plain, gzipped or zstd-compressed (told by its magic
 * bytes). The file is checked (opened) before any stream exists, so that a missing file is a
 * rejected promise, not an unhandled stream error.
 *
 * @example
 * for await (const entry of readTar(await openTarball('layer.tar.gz'))) console.log(entry.path);
 */
export async function openTarball(path: string): Promise<Readable> {
  const compression = await tarballCompression(path);
  const raw = createReadStream(path);
  if (compression === 'none') return raw;
  const stage = decompressor(compression);
  raw.on('error', (err) => stage.destroy(err));
  return raw.pipe(stage);
}

/**
 * Reads the tarball at `path` (gzip or zstd detected by its magic bytes), spooling file contents into
 * `spoolDir`. Paths are normalized; modes, owners, symlinks and hard links are kept; device
 * nodes, FIFOs, paths leaving the root and hard links to missing files are skipped with a note.
 *
 * @example
 * const { entries, notes } = await readRootfs('alpine-minirootfs.tar.gz', spoolDir);
 * const layer = await writeLayer(entries);
 */
export async function readRootfs(path: string, spoolDir: string): Promise<Rootfs> {
  const source = await openTarball(path);
  const byPath = new Map<string, TarEntry>();
  const notes: string[] = [];
  let spooled = 0;
  for await (const entry of readTar(source)) {
    const name = pathInsideRoot(entry.path);
    if (name === undefined) notes.push(`skipped "${entry.path}": the path leaves the root`);
    if (!name) continue;
    const common = { path: name, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime };
    switch (entry.type) {
      case 'file': {
        const file = join(spoolDir, String(spooled++));
        await pipeline(Readable.from(entry.content), createWriteStream(file, { mode: 0o600 }));
        byPath.set(name, { ...common, type: 'file', size: entry.size, open: () => createReadStream(file) });
        break;
      }
      case 'directory':
        byPath.set(name, { ...common, type: 'directory' });
        break;
      case 'symlink':
        byPath.set(name, { ...common, type: 'symlink', target: entry.linkname });
        break;
      case 'hardlink': {
        const target = pathInsideRoot(entry.linkname);
        if (target === undefined) {
          notes.push(`skipped hard link "${name}": its target "${entry.linkname}" leaves the root`);
          continue;
        }
        byPath.set(name, { ...common, type: 'hardlink', target });
        break;
      }
      case 'char':
      case 'block':
        notes.push(`skipped device node "${name}": layers do not carry devices; the runtime provides /dev`);
        break;
      case 'fifo':
        notes.push(`skipped FIFO "${name}"`);
        break;
      default:
        notes.push(`skipped "${name}": unsupported tar entry type "${entry.typeflag}"`);
    }
  }
  // A hard link must name a regular file (or a link to one) kept in the layer.
  const isFile = (p: string, seen = new Set<string>()): boolean => {
    const e = byPath.get(p);
    if (!e || seen.has(p)) return false;
    if (e.type === 'file') return true;
    seen.add(p);
    return e.type === 'hardlink' && isFile(e.target, seen);
  };
  for (const entry of [...byPath.values()]) {
    if (entry.type === 'hardlink' && !isFile(entry.target)) {
      notes.push(`skipped hard link "${entry.path}": "${entry.target}" is not a file of the tarball`);
      byPath.delete(entry.path);
    }
  }
  return { entries: [...byPath.values()], notes };
}
