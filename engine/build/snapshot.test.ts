import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLayer } from './layer.ts';
import { diffSnapshots, snapshot, type LayerChanges } from './snapshot.ts';
import type { TarEntry } from './tar.ts';
import { applyLayer } from './unpack.ts';

const isRoot = process.getuid?.() === 0;
/** Long before any test runs: a rewrite always moves a file's mtime away from it. */
const OLD = 1_600_000_000;
const EXCLUDED = new Set(['proc', 'dev', 'etc/resolv.conf']);

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'nocker-snapshot-'));
  root = join(base, 'root');
  await mkdir(root);
  await beforeTree(root);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Writes `content` at `relative` under `dir`, making the parents it needs. */
async function put(dir: string, relative: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(join(dir, relative, '..'), { recursive: true });
  await writeFile(join(dir, relative), content, { mode });
  await chmod(join(dir, relative), mode);
}

/** The tree the run step starts from, every timestamp set in the past. */
async function beforeTree(dir: string): Promise<void> {
  await put(dir, 'etc/config', 'aaaa\n');
  await put(dir, 'etc/other', 'other\n');
  await put(dir, 'etc/resolv.conf', 'nameserver 10.0.0.1\n');
  await put(dir, 'usr/bin/tool', '#!/bin/sh\n', 0o755);
  await put(dir, 'var/cache/apt/archives/pkg.deb', 'deb');
  await put(dir, 'var/cache/apt/lists', 'lists');
  await put(dir, 'var/log/dpkg.log', 'log');
  await put(dir, 'a/b/c/old', 'old');
  await put(dir, 'replace-me', 'a file for now');
  await put(dir, 'dir-to-file/inner', 'inner');
  await put(dir, 'dir-to-link/inner', 'inner');
  await put(dir, 'link-target/kept', 'kept');
  await mkdir(join(dir, 'proc'));
  await mkdir(join(dir, 'dev'));
  await symlink('usr/bin', join(dir, 'bin'));
  const paths = (await readdir(dir, { recursive: true })).map(String);
  // Deepest first, so that setting a directory's times is not undone by its children.
  for (const p of [...paths.sort().reverse(), '']) if (!(await lstat(join(dir, p))).isSymbolicLink()) await utimes(join(dir, p), OLD, OLD);
}

/** The layer entries of what `change` does to the root, from snapshots taken around it. */
async function diffAround(change: () => Promise<void>): Promise<LayerChanges> {
  const before = await snapshot(root, EXCLUDED);
  await change();
  return diffSnapshots(root, before, await snapshot(root, EXCLUDED));
}

/** `type path` for each entry, in order: what a test compares. */
const listing = (entries: readonly TarEntry[]) => entries.map((e) => `${e.type} ${e.path}`);

function entryAt(entries: readonly TarEntry[], path: string): TarEntry {
  const entry = entries.find((e) => e.path === path);
  if (!entry) throw new Error(`no entry for "${path}" in ${listing(entries).join(', ')}`);
  return entry;
}

async function contentOf(entry: TarEntry): Promise<string> {
  if (entry.type !== 'file') throw new Error(`"${entry.path}" is a ${entry.type}, not a file`);
  const chunks: Buffer[] = [];
  for await (const chunk of entry.open()) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('snapshot', () => {
  it('records every path with its kind, mode and owner, leaving out excluded paths and what is under them', async () => {
    await put(root, 'proc/self/status', 'never seen');
    const states = await snapshot(root, EXCLUDED);
    expect(states.get('usr/bin/tool')).toMatchObject({ kind: 'file', mode: 0o755, size: 10n, mtimeNs: BigInt(OLD) * 1_000_000_000n, nlink: 1n });
    expect(states.get('usr/bin')?.kind).toBe('directory');
    expect(states.get('bin')?.kind).toBe('symlink');
    expect(states.has('etc/config')).toBe(true);
    for (const path of ['proc', 'proc/self', 'proc/self/status', 'dev', 'etc/resolv.conf']) expect(states.has(path)).toBe(false);
    if (isRoot) expect(states.get('etc/config')).toMatchObject({ uid: 0, gid: 0 });
  });
});

describe('diffSnapshots', () => {
  it('gives no entries when nothing changed', async () => {
    const changes = await diffAround(async () => {});
    expect(changes).toEqual({ entries: [], notes: [] });
  });

  it('adds a new file with each directory above it, unchanged ones included, and nothing else', async () => {
    const { entries, notes } = await diffAround(async () => {
      await put(root, 'a/b/c/new', 'new file\n', 0o640);
      await put(root, 'opt/app/run', 'run\n', 0o755);
    });
    expect(notes).toEqual([]);
    expect(listing(entries)).toEqual([
      'directory a',
      'directory a/b',
      'directory a/b/c',
      'file a/b/c/new',
      'directory opt',
      'directory opt/app',
      'file opt/app/run',
    ]);
    const added = entryAt(entries, 'a/b/c/new');
    expect(added).toMatchObject({ mode: 0o640, size: 9 });
    expect(await contentOf(added)).toBe('new file\n');
    // An ancestor that did not change still carries its own metadata.
    expect(entryAt(entries, 'a')).toMatchObject({ mode: 0o755, mtime: OLD });
  });

  it('includes a file rewritten with content of the same size', async () => {
    const { entries } = await diffAround(() => writeFile(join(root, 'etc/config'), 'bbbb\n'));
    expect(listing(entries)).toEqual(['directory etc', 'file etc/config']);
    expect(await contentOf(entryAt(entries, 'etc/config'))).toBe('bbbb\n');
  });

  it('includes a file whose mode alone changed', async () => {
    const { entries } = await diffAround(() => chmod(join(root, 'usr/bin/tool'), 0o4750));
    expect(listing(entries)).toEqual(['directory usr', 'directory usr/bin', 'file usr/bin/tool']);
    expect(entryAt(entries, 'usr/bin/tool')).toMatchObject({ mode: 0o4750, mtime: OLD });
  });

  it.runIf(isRoot)('includes a file whose owner alone changed, with the new owner', async () => {
    const { entries } = await diffAround(() => chown(join(root, 'etc/other'), 1000, 1001));
    expect(listing(entries)).toEqual(['directory etc', 'file etc/other']);
    expect(entryAt(entries, 'etc/other')).toMatchObject({ uid: 1000, gid: 1001 });
  });

  it('whiteouts a deleted file in its parent, and only the topmost path of a deleted tree', async () => {
    const { entries } = await diffAround(async () => {
      await rm(join(root, 'etc/other'));
      await rm(join(root, 'var/cache'), { recursive: true });
    });
    expect(listing(entries)).toEqual(['directory etc', 'directory var', 'file etc/.wh.other', 'file var/.wh.cache']);
    const whiteout = entryAt(entries, 'var/.wh.cache');
    expect(whiteout).toMatchObject({ size: 0 });
    expect(await contentOf(whiteout)).toBe('');
  });

  it('whiteouts a deleted path at the root as .wh.NAME', async () => {
    const { entries } = await diffAround(() => rm(join(root, 'bin')));
    expect(listing(entries)).toEqual(['file .wh.bin']);
  });

  it('gives a file replaced by a directory as the directory and its contents, without a whiteout', async () => {
    const { entries } = await diffAround(async () => {
      await rm(join(root, 'replace-me'));
      await put(root, 'replace-me/inner', 'inside');
    });
    expect(listing(entries)).toEqual(['directory replace-me', 'file replace-me/inner']);
  });

  it('lists a new symlink with its target', async () => {
    const { entries } = await diffAround(() => symlink('../usr/bin/tool', join(root, 'etc/tool')));
    expect(entryAt(entries, 'etc/tool')).toMatchObject({ type: 'symlink', target: '../usr/bin/tool' });
  });

  it('never lists excluded paths, whatever happens under them', async () => {
    const { entries } = await diffAround(async () => {
      await put(root, 'proc/1/status', 'running');
      await put(root, 'dev/null', '');
      await writeFile(join(root, 'etc/resolv.conf'), 'nameserver 192.168.1.1\n');
    });
    expect(entries).toEqual([]);
  });

  it('makes the second of two new hard-linked files a hardlink entry to the first', async () => {
    const { entries } = await diffAround(async () => {
      await put(root, 'opt/one', 'shared content');
      await link(join(root, 'opt/one'), join(root, 'opt/two'));
    });
    expect(listing(entries)).toEqual(['directory opt', 'file opt/one', 'hardlink opt/two']);
    expect(entryAt(entries, 'opt/two')).toMatchObject({ target: 'opt/one' });
    expect(await contentOf(entryAt(entries, 'opt/one'))).toBe('shared content');
  });

  it('puts both an existing file and a new hard link to it in the layer', async () => {
    // The new link changes the existing file's ctime, so the file is part of the layer too.
    const { entries } = await diffAround(() => link(join(root, 'usr/bin/tool'), join(root, 'usr/bin/alias')));
    // The byte-wise first path holds the content.
    expect(listing(entries)).toEqual(['directory usr', 'directory usr/bin', 'file usr/bin/alias', 'hardlink usr/bin/tool']);
    expect(entryAt(entries, 'usr/bin/tool')).toMatchObject({ target: 'usr/bin/alias' });
  });

  it('leaves a new FIFO out with a note', async () => {
    const { entries, notes } = await diffAround(async () => {
      execFileSync('mkfifo', [join(root, 'etc/pipe')]);
    });
    expect(notes).toEqual(['left out "etc/pipe": sockets, FIFOs and device nodes do not go into layers']);
    expect(listing(entries)).toEqual(['directory etc']);
  });
});

/** Each path of a tree with what a layer must reproduce: kind, mode, owner, size, content or target, mtime of files. */
async function treeListing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const path of (await readdir(dir, { recursive: true })).map(String).sort()) {
    const full = join(dir, path);
    const stats = await lstat(full);
    const owner = isRoot ? ` ${stats.uid}:${stats.gid}` : '';
    const mode = (stats.mode & 0o7777).toString(8);
    if (stats.isSymbolicLink()) out.push(`${path} -> ${await readlink(full)}${owner}`);
    else if (stats.isDirectory()) out.push(`${path}/ ${mode}${owner}`);
    else out.push(`${path} ${mode}${owner} links=${stats.nlink} mtime=${Math.floor(stats.mtimeMs / 1000)} ${JSON.stringify(await readFile(full, 'utf8'))}`);
  }
  return out;
}

describe('diffSnapshots then applyLayer', () => {
  /** Runs `change` on the root, writes the diff as a layer, applies it onto a copy of the tree before the change. */
  async function roundTrip(change: () => Promise<void>): Promise<{ copy: string; changes: LayerChanges }> {
    const copy = join(base, 'copy');
    execFileSync('cp', ['-a', root, copy]);
    const changes = await diffAround(change);
    const layer = await writeLayer(changes.entries, { directory: base, sourceDateEpoch: Math.ceil(Date.now() / 1000) + 60 });
    expect((await applyLayer(copy, layer.path)).notes).toEqual([]);
    // The excluded paths are the runtime's: neither tree is compared there.
    for (const dir of [root, copy]) for (const path of EXCLUDED) await rm(join(dir, path), { recursive: true, force: true });
    return { copy, changes };
  }

  it('turns a copy of the tree before the step into the tree after it', async () => {
    const { copy } = await roundTrip(async () => {
      await put(root, 'opt/app/bin/app', 'app binary', 0o755);
      await link(join(root, 'opt/app/bin/app'), join(root, 'opt/app/bin/app-alias'));
      await symlink('/opt/app/bin/app', join(root, 'usr/bin/app'));
      await writeFile(join(root, 'etc/config'), 'cccc\n');
      await chmod(join(root, 'etc/other'), 0o600);
      if (isRoot) await chown(join(root, 'var/log/dpkg.log'), 1000, 1000);
      await rm(join(root, 'var/cache/apt'), { recursive: true });
      await rm(join(root, 'a/b/c/old'));
      await rm(join(root, 'replace-me'));
      await put(root, 'replace-me/inner', 'now a directory');
      await mkdir(join(root, 'empty-new-dir'), { mode: 0o700 });
    });
    expect(await treeListing(copy)).toEqual(await treeListing(root));
  });

  // Whiteouts under it would fail to apply (ENOTDIR): the file's entry replaces the tree.
  it('replaces a directory by a file without whiteouts under it', async () => {
    const { copy, changes } = await roundTrip(async () => {
      await rm(join(root, 'dir-to-file'), { recursive: true });
      await writeFile(join(root, 'dir-to-file'), 'now a file');
    });
    expect(listing(changes.entries)).toEqual(['file dir-to-file']);
    expect(await treeListing(copy)).toEqual(await treeListing(root));
  });

  // Whiteouts under it would follow the link and remove files where it points.
  it('replaces a directory by a symlink without removing anything where the symlink points', async () => {
    await put(root, 'link-target/inner', 'must survive');
    const { copy, changes } = await roundTrip(async () => {
      await rm(join(root, 'dir-to-link'), { recursive: true });
      await symlink('link-target', join(root, 'dir-to-link'));
    });
    expect(await readFile(join(copy, 'link-target/inner'), 'utf8')).toBe('must survive');
    expect(listing(changes.entries)).toEqual(['symlink dir-to-link']);
    expect(await treeListing(copy)).toEqual(await treeListing(root));
  });
});
