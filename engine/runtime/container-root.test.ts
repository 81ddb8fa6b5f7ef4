import { existsSync } from 'node:fs';
import { chown, link, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerRootPath, isMountPoint, mountContainerRoot, releaseContainerRoot } from './container-root.ts';

const notRoot = process.getuid?.() !== 0;

let dir: string;
let lower: string;
let containerDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-root-'));
  lower = join(dir, 'cache', 'rootfs');
  containerDir = join(dir, 'containers', 'c1');
  await mkdir(join(lower, 'bin'), { recursive: true });
  await mkdir(containerDir, { recursive: true });
  await writeFile(join(lower, 'bin', 'tool'), 'tool\n', { mode: 0o755 });
  await writeFile(join(lower, 'bin', 'su'), 'setuid\n', { mode: 0o4755 });
  await writeFile(join(lower, 'owned'), 'owned\n', { mode: 0o640 });
  if (!notRoot) await chown(join(lower, 'owned'), 1234, 5678);
  await link(join(lower, 'bin', 'tool'), join(lower, 'bin', 'tool-link'));
  await symlink('tool', join(lower, 'bin', 'tool-symlink'));
});
afterEach(async () => {
  // A test that failed half way still leaves no mount behind.
  await releaseContainerRoot(containerDir);
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(notRoot)('mountContainerRoot', () => {
  it('mounts an overlay whose writes land in the container, never in the cached root', async () => {
    const { path, kind } = await mountContainerRoot(lower, containerDir);
    expect(kind).toBe('overlay');
    expect(path).toBe(containerRootPath(containerDir));
    expect(path).toBe(join(containerDir, 'bundle', 'rootfs'));
    expect(await isMountPoint(path)).toBe(true);
    expect(await readFile(join(path, 'bin', 'tool'), 'utf8')).toBe('tool\n');
    expect((await stat(join(path, 'bin', 'su'))).mode & 0o7777).toBe(0o4755);

    await writeFile(join(path, 'new'), 'new\n');
    await writeFile(join(path, 'bin', 'tool'), 'changed\n');
    await rm(join(path, 'owned'));
    expect(existsSync(join(lower, 'new'))).toBe(false);
    expect(await readFile(join(lower, 'bin', 'tool'), 'utf8')).toBe('tool\n');
    expect(existsSync(join(lower, 'owned'))).toBe(true);
    expect(await readFile(join(containerDir, 'upper', 'new'), 'utf8')).toBe('new\n');

    // A second mount of a mounted root is the same root.
    expect((await mountContainerRoot(lower, containerDir)).kind).toBe('overlay');

    await releaseContainerRoot(containerDir);
    expect(await isMountPoint(path)).toBe(false);
    expect(existsSync(join(path, 'bin'))).toBe(false);
    await releaseContainerRoot(containerDir);
  });

  it('copies the cached root when told to, keeping owners, modes, setuid, hard links and symlinks', async () => {
    const { path, kind } = await mountContainerRoot(lower, containerDir, { forceCopy: true });
    expect(kind).toBe('copy');
    expect(await isMountPoint(path)).toBe(false);
    const owned = await stat(join(path, 'owned'));
    expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1234, 5678, 0o640]);
    expect((await stat(join(path, 'bin', 'su'))).mode & 0o7777).toBe(0o4755);
    const [tool, toolLink] = await Promise.all([stat(join(path, 'bin', 'tool')), stat(join(path, 'bin', 'tool-link'))]);
    expect(tool.ino).toBe(toolLink.ino);
    expect((await lstat(join(path, 'bin', 'tool-symlink'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(path, 'bin', 'tool-symlink'))).toBe('tool');

    await writeFile(join(path, 'new'), 'new\n');
    expect(existsSync(join(lower, 'new'))).toBe(false);
    await releaseContainerRoot(containerDir);
    expect(await readFile(join(path, 'new'), 'utf8')).toBe('new\n');
  });

  it('falls back to a copy when the overlay cannot take the paths', async () => {
    const odd = join(dir, 'cache', 'a,b');
    await mkdir(odd, { recursive: true });
    await writeFile(join(odd, 'file'), 'x\n');
    const { path, kind } = await mountContainerRoot(odd, containerDir);
    expect(kind).toBe('copy');
    expect(await readFile(join(path, 'file'), 'utf8')).toBe('x\n');
    expect(existsSync(join(containerDir, 'upper'))).toBe(false);
  });
});
