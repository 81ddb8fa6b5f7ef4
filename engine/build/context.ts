/**
 * The build context of a `copy: SRC DEST` step: the files under SRC (a file, a directory or
 * `.`) in the Nockerfile's directory, minus what `.nockerignore` leaves out, as tar entries
 * placed under DEST. Nothing outside the context is ever read: `..` and absolute sources are
 * refused, and so are symlinks pointing outside it (symlinks inside it are kept as symlinks).
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { fileDigest } from '../image/blob.ts';
import type { IgnoreMatcher } from './ignore.ts';
import type { TarEntry } from './tar.ts';

/** A `copy` step that would read outside its context, or names nothing there. */
export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextError';
  }
}

/** What the cache key of a copy step covers of one copied item. */
export interface CopiedItem {
  /** The path in the image, without the leading `/`. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  /** `sha256:…` of a file's content. */
  digest?: string;
  /** A symlink's target. */
  target?: string;
}

/** A copy step's files: tar entries for the layer and the items for its cache key. */
export interface CopySet {
  entries: TarEntry[];
  items: CopiedItem[];
}

const DIRECTORY_MODE = 0o755;

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The context-relative form of a copy source; throws a ContextError for an absolute source or
 * one that climbs out with `..`.
 *
 * @example
 * contextPath('./src//app'); // 'src/app'
 * contextPath('.');          // ''
 */
export function contextPath(src: string): string {
  if (src.startsWith('/') || isAbsolute(src)) throw new ContextError(`copy source "${src}" is absolute: sources are paths inside the build context`);
  const normal = posix.normalize(src.replace(/\\/g, '/'));
  if (normal === '..' || normal.startsWith('../') || src.split('/').includes('..')) {
    throw new ContextError(`copy source "${src}" leaves the build context: ".." is not allowed`);
  }
  return normal === '.' || normal === './' ? '' : normal.replace(/^\.\//, '').replace(/\/$/, '');
}

/** The parent directories of an image path (`a/b/c` → `a`, `a/b`). */
function parents(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Collects what `copy: src dest` puts in the image. A directory source copies what it holds into
 * `dest`; a file source becomes `dest`, or `dest/NAME` when `dest` ends with `/`. Missing parent
 * directories of `dest` are created (0755, owned by root). File contents are hashed streaming
 * and read again only when the layer is written.
 *
 * @example
 * const set = await collectCopy('/src/app', '.', '/app', await loadIgnore('/src/app'));
 * const layer = await writeLayer(set.entries, { sourceDateEpoch: 0 });
 */
export async function collectCopy(context: string, src: string, dest: string, ignore: IgnoreMatcher): Promise<CopySet> {
  const root = await realpath(context);
  const from = contextPath(src);
  const start = join(root, from);
  let startReal: string;
  try {
    startReal = await realpath(start);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ContextError(`copy source "${src}" does not exist in the build context ${context}`);
    throw err;
  }
  if (!within(root, startReal)) throw new ContextError(`copy source "${src}" resolves outside the build context (to ${startReal})`);
  const startStats = await lstat(start);
  if (from !== '' && ignore.ignores(from, startStats.isDirectory())) throw new ContextError(`copy source "${src}" is excluded by .nockerignore`);

  const destPath = posix.normalize(`/${dest}`).replace(/^\/+/, '').replace(/\/$/, '');
  const entries: TarEntry[] = [];
  const items: CopiedItem[] = [];
  const addDirectory = (path: string, mode: number) => {
    if (path === '') return;
    entries.push({ type: 'directory', path, mode });
    items.push({ path, type: 'directory', mode });
  };

  const addItem = async (full: string, contextRel: string, imagePath: string): Promise<void> => {
    const stats = await lstat(full);
    const mode = stats.mode & 0o7777;
    const mtime = Math.floor(stats.mtimeMs / 1000);
    if (stats.isSymbolicLink()) {
      const target = await readlink(full);
      const resolved = isAbsolute(target) ? target : resolve(dirname(full), target);
      if (isAbsolute(target) || !within(root, resolved)) {
        throw new ContextError(`symlink "${contextRel}" points outside the build context (to ${target}); copy what it points to instead`);
      }
      entries.push({ type: 'symlink', path: imagePath, mode, target, mtime });
      items.push({ path: imagePath, type: 'symlink', mode, target });
    } else if (stats.isFile()) {
      const digest = await fileDigest(full);
      entries.push({ type: 'file', path: imagePath, mode, mtime, size: stats.size, open: () => createReadStream(full) });
      items.push({ path: imagePath, type: 'file', mode, digest });
    } else if (stats.isDirectory()) {
      entries.push({ type: 'directory', path: imagePath, mode, mtime });
      items.push({ path: imagePath, type: 'directory', mode });
      await walk(full, contextRel, imagePath);
    }
    // Sockets, FIFOs and devices are not copied.
  };

  const walk = async (dir: string, contextRel: string, imagePath: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const childRel = contextRel === '' ? name : `${contextRel}/${name}`;
      const childImage = imagePath === '' ? name : `${imagePath}/${name}`;
      const full = join(dir, name);
      const stats = await lstat(full);
      if (ignore.ignores(childRel, stats.isDirectory())) {
        // A re-included path may hide below an excluded directory.
        if (stats.isDirectory() && ignore.hasNegations) await walkExcluded(full, childRel, childImage);
        continue;
      }
      await addItem(full, childRel, childImage);
    }
  };

  /** Walks an excluded directory for re-included paths, creating their parents as needed. */
  const walkExcluded = async (dir: string, contextRel: string, imagePath: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const childRel = `${contextRel}/${name}`;
      const childImage = imagePath === '' ? name : `${imagePath}/${name}`;
      const full = join(dir, name);
      const stats = await lstat(full);
      if (!ignore.ignores(childRel, stats.isDirectory())) {
        for (const parent of parents(childImage)) if (!items.some((i) => i.path === parent)) addDirectory(parent, DIRECTORY_MODE);
        await addItem(full, childRel, childImage);
      } else if (stats.isDirectory()) {
        await walkExcluded(full, childRel, childImage);
      }
    }
  };

  if (startStats.isDirectory()) {
    for (const parent of [...parents(destPath), destPath]) addDirectory(parent, DIRECTORY_MODE);
    await walk(start, from, destPath);
  } else {
    const name = from.split('/').pop() ?? from;
    const target = dest.endsWith('/') || destPath === '' ? (destPath === '' ? name : `${destPath}/${name}`) : destPath;
    for (const parent of parents(target)) addDirectory(parent, DIRECTORY_MODE);
    await addItem(start, from, target);
  }
  return { entries, items };
}
