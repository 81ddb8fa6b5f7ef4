/**
 * Tar entries for a directory tree on disk: modes, symlinks and hard links (by inode) kept;
 * ownership and timestamps left out, so that the same tree gives the same layer wherever it is.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { TarEntry } from './tar.ts';

/**
 * Walks `root` and lists its contents as tar entries (paths relative to `root`). Sockets,
 * FIFOs and device nodes are skipped.
 *
 * @example
 * const layer = await writeLayer(await entriesFromDirectory('./rootfs'));
 */
export async function entriesFromDirectory(root: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const inodes = new Map<string, string>();
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(root, relative))).sort();
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(root, path);
      const stats = await lstat(full);
      const mode = stats.mode & 0o7777;
      if (stats.isDirectory()) {
        entries.push({ type: 'directory', path, mode });
        await walk(path);
      } else if (stats.isSymbolicLink()) {
        entries.push({ type: 'symlink', path, mode, target: await readlink(full) });
      } else if (stats.isFile()) {
        const inode = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1 ? inodes.get(inode) : undefined;
        if (first !== undefined) {
          entries.push({ type: 'hardlink', path, mode, target: first });
          continue;
        }
        if (stats.nlink > 1) inodes.set(inode, path);
        entries.push({ type: 'file', path, mode, size: stats.size, open: () => createReadStream(full) });
      }
    }
  };
  await walk('');
  return entries;
}
