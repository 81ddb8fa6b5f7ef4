import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLayer } from './layer.ts';
import { rawTar, type RawEntry } from '../../hub/oci/testing-archives.ts';
import { applyLayer, OPAQUE_WHITEOUT, resolveInRoot } from './unpack.ts';

const isRoot = process.getuid?.() === 0;

let base: string;
let root: string;
/** A sibling of the root: anything that appears here escaped. */
let outside: string;
let layerCount = 0;
/** A file name no test machine has in /etc, so that an escape to the host's /etc is seen. */
const pwned = `nocker-pwned-${process.pid}`;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'nocker-unpack-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'host secret\n');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
  // Only there if a test failed by escaping the root.
  await rm(join('/etc', pwned), { force: true });
});

/** Writes `entries` as a layer file next to the root (gzipped unless asked otherwise). */
async function rawLayer(entries: readonly RawEntry[], gzip = true): Promise<string> {
  const path = join(base, `layer-${++layerCount}.tar${gzip ? '.gz' : ''}`);
  const tar = rawTar(entries);
  await writeFile(path, gzip ? gzipSync(tar) : tar);
  return path;
}

/** Applies a hand-made layer onto the root, returning its notes. */
async function apply(entries: readonly RawEntry[], gzip = true): Promise<string[]> {
  return (await applyLayer(root, await rawLayer(entries, gzip))).notes;
}

/** The names in a directory of the root, sorted. */
async function namesIn(relative: string): Promise<string[]> {
  return (await readdir(join(root, relative))).sort();
}

/** Checks that the sibling of the root still holds only what the test put there. */
async function expectOutsideUntouched(): Promise<void> {
  expect(await readdir(outside)).toEqual(['secret']);
  expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
  expect((await stat(join(outside, 'secret'))).nlink).toBe(1);
  expect(existsSync(join('/etc', pwned))).toBe(false);
}

describe('applyLayer: entries', () => {
  it('creates files, directories, symlinks and hard links from a writeLayer layer with their modes, owners and mtimes', async () => {
    const content = '#!/bin/sh\necho tool\n';
    const layer = await writeLayer(
      [
        { type: 'directory', path: 'usr', mode: 0o755, uid: 0, gid: 0, mtime: 1_500_000_000 },
        { type: 'directory', path: 'usr/bin', mode: 0o750, uid: 1000, gid: 1001, mtime: 1_500_000_001 },
        { type: 'file', path: 'usr/bin/tool', mode: 0o4755, uid: 1000, gid: 1001, mtime: 1_500_000_002, size: content.length, open: async function* () { yield Buffer.from(content); } },
        { type: 'hardlink', path: 'usr/bin/tool-alias', target: 'usr/bin/tool', mode: 0o4755, uid: 1000, gid: 1001 },
        { type: 'symlink', path: 'bin', target: 'usr/bin', mode: 0o777, uid: 1000, gid: 1001 },
        { type: 'directory', path: 'tmp', mode: 0o1777, mtime: 1_500_000_003 },
      ],
      { directory: base, sourceDateEpoch: 1_600_000_000 },
    );
    expect((await applyLayer(root, layer.path)).notes).toEqual([]);

    const tool = await stat(join(root, 'usr/bin/tool'));
    expect(await readFile(join(root, 'usr/bin/tool'), 'utf8')).toBe(content);
    expect(tool.isFile()).toBe(true);
    // The setuid bit survives the chown that came first.
    expect(tool.mode & 0o7777).toBe(0o4755);
    expect(tool.mtimeMs).toBe(1_500_000_002_000);
    expect((await stat(join(root, 'usr/bin'))).mode & 0o7777).toBe(0o750);
    const tmp = await stat(join(root, 'tmp'));
    expect(tmp.mode & 0o7777).toBe(0o1777);
    // A directory with nothing written into it afterwards keeps its mtime.
    expect(tmp.mtimeMs).toBe(1_500_000_003_000);

    const alias = await stat(join(root, 'usr/bin/tool-alias'));
    expect(alias.ino).toBe(tool.ino);
    expect(tool.nlink).toBe(2);

    expect((await lstat(join(root, 'bin'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(root, 'bin'))).toBe('usr/bin');
    if (isRoot) {
      expect([tool.uid, tool.gid]).toEqual([1000, 1001]);
      const bin = await lstat(join(root, 'bin'));
      expect([bin.uid, bin.gid]).toEqual([1000, 1001]);
      const usr = await stat(join(root, 'usr'));
      expect([usr.uid, usr.gid]).toEqual([0, 0]);
    }
  });

  it('reads plain, uncompressed tar layers too', async () => {
    const notes = await apply(
      [
        { path: 'etc/', type: '5', mode: 0o700 },
        { path: 'etc/hostname', content: 'box\n', mode: 0o600, uid: 7, gid: 8, mtime: 1_234_567_890 },
        { path: 'hostname', type: '2', linkname: 'etc/hostname' },
      ],
      false,
    );
    expect(notes).toEqual([]);
    const hostname = await stat(join(root, 'etc/hostname'));
    expect(await readFile(join(root, 'hostname'), 'utf8')).toBe('box\n');
    expect(hostname.mode & 0o7777).toBe(0o600);
    expect(hostname.mtimeMs).toBe(1_234_567_890_000);
    expect((await stat(join(root, 'etc'))).mode & 0o7777).toBe(0o700);
    if (isRoot) expect([hostname.uid, hostname.gid]).toEqual([7, 8]);
  });

  it('makes missing parent directories, and accepts absolute and ./ paths as relative to the root', async () => {
    expect(await apply([{ path: '/a/b/c', content: 'abs' }, { path: './d/e', content: 'dot' }])).toEqual([]);
    expect(await readFile(join(root, 'a/b/c'), 'utf8')).toBe('abs');
    expect(await readFile(join(root, 'd/e'), 'utf8')).toBe('dot');
    expect((await stat(join(root, 'a/b'))).mode & 0o7777).toBe(0o755);
  });

  it('replaces a lower file of the same name, and keeps a lower directory (and its contents) for a directory entry', async () => {
    await mkdir(join(root, 'etc'), { mode: 0o755 });
    await writeFile(join(root, 'etc/keep'), 'lower');
    await writeFile(join(root, 'etc/motd'), 'old motd, longer than the new one');
    await apply([
      { path: 'etc/', type: '5', mode: 0o711 },
      { path: 'etc/motd', content: 'new' },
    ]);
    expect(await readFile(join(root, 'etc/motd'), 'utf8')).toBe('new');
    expect(await readFile(join(root, 'etc/keep'), 'utf8')).toBe('lower');
    expect((await stat(join(root, 'etc'))).mode & 0o7777).toBe(0o711);
  });

  it('replaces a lower directory tree by a file', async () => {
    await mkdir(join(root, 'thing/deep'), { recursive: true });
    await writeFile(join(root, 'thing/deep/x'), 'x');
    await apply([{ path: 'thing', content: 'now a file' }]);
    expect((await lstat(join(root, 'thing'))).isFile()).toBe(true);
    expect(await readFile(join(root, 'thing'), 'utf8')).toBe('now a file');
  });

  it('replaces a lower symlink by a directory, without writing where the symlink pointed', async () => {
    await mkdir(join(root, 'real'));
    await symlink('real', join(root, 'link'));
    await apply([
      { path: 'link/', type: '5' },
      { path: 'link/new', content: 'in the new directory' },
    ]);
    expect((await lstat(join(root, 'link'))).isDirectory()).toBe(true);
    expect(await namesIn('link')).toEqual(['new']);
    expect(await namesIn('real')).toEqual([]);
  });

  it('replaces a lower file by a symlink, and a lower symlink by a file without touching its target', async () => {
    await writeFile(join(root, 'was-file'), 'file');
    await writeFile(join(root, 'target'), 'target content');
    await symlink('target', join(root, 'was-link'));
    await apply([
      { path: 'was-file', type: '2', linkname: 'target' },
      { path: 'was-link', content: 'a file now' },
    ]);
    expect(await readlink(join(root, 'was-file'))).toBe('target');
    expect((await lstat(join(root, 'was-link'))).isFile()).toBe(true);
    expect(await readFile(join(root, 'target'), 'utf8')).toBe('target content');
  });

  it('skips device nodes and FIFOs with a note each', async () => {
    const notes = await apply([
      { path: 'dev/', type: '5' },
      { path: 'dev/null', type: '3' },
      { path: 'dev/sda', type: '4' },
      { path: 'dev/pipe', type: '6' },
      { path: 'dev/after', content: 'still written' },
    ]);
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/char.*dev\/null/);
    expect(notes[1]).toMatch(/block.*dev\/sda/);
    expect(notes[2]).toMatch(/fifo.*dev\/pipe/);
    expect(await namesIn('dev')).toEqual(['after']);
  });
});

describe('applyLayer: whiteouts', () => {
  /** A lower layer's tree: /etc with two files, /var/cache with a nested tree. */
  async function lowerTree(): Promise<void> {
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/old'), 'old');
    await writeFile(join(root, 'etc/kept'), 'kept');
    await mkdir(join(root, 'var/cache/apt/archives'), { recursive: true });
    await writeFile(join(root, 'var/cache/apt/archives/pkg.deb'), 'deb');
    await writeFile(join(root, 'var/log'), 'log');
  }

  it('removes a lower file named by .wh.NAME and a lower directory tree, leaving their siblings', async () => {
    await lowerTree();
    const notes = await apply([
      { path: 'etc/.wh.old', mode: 0o644 },
      { path: 'var/.wh.cache' },
    ]);
    expect(notes).toEqual([]);
    expect(await namesIn('etc')).toEqual(['kept']);
    expect(await namesIn('var')).toEqual(['log']);
  });

  it('removes a lower entry at the root, and ignores a whiteout of something that is not there', async () => {
    await lowerTree();
    await apply([{ path: '.wh.etc' }, { path: '.wh.never-was' }]);
    expect(await namesIn('')).toEqual(['var']);
  });

  it('removes a lower symlink itself, not what it points to', async () => {
    await lowerTree();
    await symlink('etc', join(root, 'config'));
    await apply([{ path: '.wh.config' }]);
    expect(existsSync(join(root, 'config'))).toBe(false);
    expect(await namesIn('etc')).toEqual(['kept', 'old']);
  });

  it.each([
    ['before', (entries: RawEntry[]) => [{ path: `var/cache/${OPAQUE_WHITEOUT}` }, ...entries]],
    ['after', (entries: RawEntry[]) => [...entries, { path: `var/cache/${OPAQUE_WHITEOUT}` }]],
  ])('an opaque marker %s the layer\'s own entries empties the lower directory but keeps those entries', async (_order, arrange) => {
    await lowerTree();
    await writeFile(join(root, 'var/cache/lower-file'), 'lower');
    const own: RawEntry[] = [
      { path: 'var/cache/', type: '5', mode: 0o700 },
      { path: 'var/cache/fresh', content: 'this layer' },
      { path: 'var/cache/fresh-link', type: '2', linkname: 'fresh' },
    ];
    await apply(arrange(own));
    expect(await namesIn('var/cache')).toEqual(['fresh', 'fresh-link']);
    expect(await readFile(join(root, 'var/cache/fresh'), 'utf8')).toBe('this layer');
    expect((await stat(join(root, 'var/cache'))).mode & 0o7777).toBe(0o700);
    expect(await namesIn('var')).toEqual(['cache', 'log']);
  });

  it('an opaque marker on a directory no lower layer has makes it', async () => {
    await apply([{ path: `new/dir/${OPAQUE_WHITEOUT}` }]);
    expect(await namesIn('new/dir')).toEqual([]);
  });

  // A subdirectory the layer wrote into keeps only this layer's entries, as when the marker comes first.
  it('an opaque marker after the entries also hides lower contents of a subdirectory the layer writes into', async () => {
    await lowerTree();
    await apply([
      { path: 'var/', type: '5' },
      { path: 'var/cache/', type: '5' },
      { path: 'var/cache/apt/', type: '5' },
      { path: 'var/cache/apt/new.deb', content: 'new' },
      { path: `var/${OPAQUE_WHITEOUT}` },
    ]);
    expect(await namesIn('var')).toEqual(['cache']);
    // The lower var/cache/apt/archives must be hidden as it is when the marker comes first.
    expect(await namesIn('var/cache/apt')).toEqual(['new.deb']);
  });
  // Such a whiteout names nothing: resolving it would land on the directory itself, or above.
  it.each(['.wh.', '.wh..'])('a whiteout named only %s inside a directory removes nothing', async (marker) => {
    await lowerTree();
    await apply([{ path: `var/cache/${marker}` }]);
    expect(existsSync(root)).toBe(true);
    expect(await namesIn('var')).toEqual(['cache', 'log']);
  });
});

describe('applyLayer: a hostile layer stays inside the root', () => {
  it.each([
    ['/', `evil/etc/${pwned}`, `etc/${pwned}`],
    ['../../..', `evil/etc/${pwned}`, `etc/${pwned}`],
    ['..', 'evil/outside/pwned', 'outside/pwned'],
    ['../../../../../../../../..', 'evil/outside/pwned', 'outside/pwned'],
  ])('a symlink evil -> %s followed by the entry %s writes inside the root', async (target, entry, landed) => {
    const notes = await apply([
      { path: 'evil', type: '2', linkname: target },
      { path: entry, content: 'pwned' },
    ]);
    expect(notes).toEqual([]);
    expect(await readFile(join(root, landed), 'utf8')).toBe('pwned');
    await expectOutsideUntouched();
  });

  it('an absolute symlink to the host path of the sibling directory resolves inside the root', async () => {
    // Were the link followed on the host, this entry would land in the sibling directory.
    await apply([
      { path: 'evil', type: '2', linkname: outside },
      { path: 'evil/pwned', content: 'pwned' },
    ]);
    expect(await readFile(join(root, outside, 'pwned'), 'utf8')).toBe('pwned');
    await expectOutsideUntouched();
  });

  it('a symlink planted as a directory of later entries, whiteouts and opaque markers all stay inside', async () => {
    await apply([
      { path: 'evil', type: '2', linkname: '..' },
      { path: 'evil/outside/.wh.secret' },
      { path: `evil/outside/${OPAQUE_WHITEOUT}` },
      { path: 'evil/outside/dir/', type: '5' },
    ]);
    expect(await namesIn('outside')).toEqual(['dir']);
    await expectOutsideUntouched();
  });

  it('skips an entry whose own path climbs out with ..', async () => {
    const notes = await apply([{ path: '../outside/pwned', content: 'pwned' }, { path: 'ok', content: 'ok' }]);
    expect(notes).toEqual(['skipped "../outside/pwned": the path leaves the root']);
    expect(await namesIn('')).toEqual(['ok']);
    await expectOutsideUntouched();
  });

  it('skips a hard link to ../outside rather than linking a host file', async () => {
    expect(await apply([{ path: 'stolen', type: '1', linkname: '../outside/secret' }])).toEqual(['skipped hard link "stolen": its target "../outside/secret" leaves the root']);
    expect(existsSync(join(root, 'stolen'))).toBe(false);
    await expectOutsideUntouched();
  });

  it('resolves a hard link through a planted symlink inside the root, and skips it when nothing is there', async () => {
    const notes = await apply([
      { path: 'up', type: '2', linkname: '..' },
      { path: 'abs', type: '2', linkname: outside },
      { path: 'stolen', type: '1', linkname: 'up/outside/secret' },
      { path: 'stolen-too', type: '1', linkname: 'abs/secret' },
    ]);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/hard link "stolen".*not a file of the image/);
    expect(notes[1]).toMatch(/hard link "stolen-too".*not a file of the image/);
    expect(existsSync(join(root, 'stolen'))).toBe(false);
    await expectOutsideUntouched();
  });

  it('fails on a symlink loop instead of hanging', async () => {
    await expect(
      apply([
        { path: 'a', type: '2', linkname: 'b' },
        { path: 'b', type: '2', linkname: 'a' },
        { path: 'a/file', content: 'never written' },
      ]),
    ).rejects.toThrow(/more than 40 symbolic links/);
    await expect(apply([{ path: 'self', type: '2', linkname: 'self' }, { path: `self/${pwned}`, content: 'x' }])).rejects.toThrow(/symbolic links/);
    await expectOutsideUntouched();
  });
});

describe('resolveInRoot', () => {
  it('follows relative and absolute symlinks as if the root were /', async () => {
    await mkdir(join(root, 'var/etc'), { recursive: true });
    await symlink('/var/etc', join(root, 'etc'));
    await symlink('../var', join(root, 'var/self'));
    expect(await resolveInRoot(root, 'etc/passwd')).toBe(join(root, 'var/etc/passwd'));
    expect(await resolveInRoot(root, '/var/self/self/etc')).toBe(join(root, 'var/etc'));
  });

  it('stops .. at the root and keeps missing components as they are', async () => {
    expect(await resolveInRoot(root, '../../../etc/shadow')).toBe(join(root, 'etc/shadow'));
    expect(await resolveInRoot(root, 'a/../../b/./c')).toBe(join(root, 'b/c'));
    expect(await resolveInRoot(root, '')).toBe(root);
  });

  it('leaves the last component unfollowed when asked', async () => {
    await symlink('/elsewhere', join(root, 'link'));
    expect(await resolveInRoot(root, 'link')).toBe(join(root, 'elsewhere'));
    expect(await resolveInRoot(root, 'link', false)).toBe(join(root, 'link'));
    // Only the last one: a link on the way is still followed.
    expect(await resolveInRoot(root, 'link/x', false)).toBe(join(root, 'elsewhere/x'));
  });

  it('throws after 40 links on a loop', async () => {
    await symlink('loop', join(root, 'loop'));
    await expect(resolveInRoot(root, 'loop/x')).rejects.toThrow(/"loop\/x" passes through more than 40 symbolic links/);
  });
});
