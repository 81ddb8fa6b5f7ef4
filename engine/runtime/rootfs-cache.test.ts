import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../hub/oci/digest.ts';
import { imageConfig } from '../image/config.ts';
import { OciLayout } from '../image/layout.ts';
import type { Descriptor } from '../image/manifest.ts';
import { rawTar, type RawEntry, zstdStored } from '../../hub/oci/testing-archives.ts';
import { cachedRootfs, type CachedRootfsOptions } from './rootfs-cache.ts';

type Compression = 'gzip' | 'zstd' | 'none';
const OCI_TYPE: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};
const COMPRESS: Record<Compression, (tar: Buffer) => Buffer> = { gzip: (tar) => gzipSync(tar), zstd: zstdStored, none: (tar) => tar };

interface TestLayer {
  entries: RawEntry[];
  compression: Compression;
  mediaType?: string;
  /** Zero bytes after the archive's end, which its diffID covers too. */
  padding?: number;
}

const isRoot = process.getuid?.() === 0;
/** A name no machine has in its /etc or /: an escape from the root would show there. */
const pwned = `nocker-pwned-${process.pid}`;

let base: string;
let dataHome: string;
let layout: OciLayout;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'nocker-rootfs-cache-'));
  dataHome = join(base, 'data');
  layout = await OciLayout.open(join(base, 'layout'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
  // Only there if a test failed by escaping the root.
  await rm(join('/etc', pwned), { force: true });
  await rm(join('/', pwned), { force: true });
});

/** Stores the layers and a config listing their diffIDs in the layout: the options for cachedRootfs. */
async function storeImage(layers: readonly TestLayer[]): Promise<CachedRootfsOptions> {
  const descriptors: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const layer of layers) {
    const tar = rawTar(layer.entries, 2048 + (layer.padding ?? 0));
    const blob = COMPRESS[layer.compression](tar);
    const digest = digestOf(blob);
    await layout.writeBlob(digest, blob);
    descriptors.push({ mediaType: layer.mediaType ?? OCI_TYPE[layer.compression], digest, size: blob.length });
    diffIds.push(digestOf(tar));
  }
  const config = imageConfig({ architecture: 'amd64', os: 'linux', diffIds, created: 0 });
  await layout.writeBlob(config.digest, config.bytes);
  return {
    dataHome,
    layout,
    manifest: { config: { mediaType: config.mediaType, digest: config.digest, size: config.size }, layers: descriptors },
    config: JSON.parse(config.bytes.toString('utf8')) as CachedRootfsOptions['config'],
  };
}

/** Every path under `root`, not following links: type, mode, owner and content or target. */
async function tree(root: string, relative = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(join(root, relative))).sort()) {
    const path = relative === '' ? name : `${relative}/${name}`;
    const full = join(root, path);
    const s = await lstat(full);
    const owner = `${s.uid}:${s.gid}`;
    const mode = (s.mode & 0o7777).toString(8);
    if (s.isSymbolicLink()) lines.push(`${path} -> ${await readlink(full)} ${owner}`);
    else if (s.isDirectory()) lines.push(`${path}/ ${mode} ${owner}`, ...(await tree(root, path)));
    else if (s.isFile()) lines.push(`${path} ${mode} ${owner} "${await readFile(full, 'utf8')}"`);
    else lines.push(`${path} ?`);
  }
  return lines;
}

/** The image of the main test: three layers, gzip, plain (Docker's type) and zstd. */
const HOSTILE_IMAGE: TestLayer[] = [
  {
    compression: 'gzip',
    entries: [
      { path: 'etc', type: '5' },
      { path: 'etc/keep', type: '5' },
      { path: 'etc/keep/a', content: 'a' },
      { path: 'etc/keep/b', content: 'b' },
      { path: 'opaque', type: '5' },
      { path: 'opaque/old', content: 'old' },
      { path: 'opaque/sub', type: '5' },
      { path: 'opaque/sub/x', content: 'x' },
      { path: 'gone', content: 'gone' },
      { path: 'bin', type: '5' },
      { path: 'bin/su', mode: 0o4755, uid: 1000, gid: 1000, content: 'su binary' },
      { path: 'bin/su-link', type: '1', linkname: 'bin/su', mode: 0o4755, uid: 1000, gid: 1000 },
      { path: 'dev', type: '5' },
      { path: 'dev/null', type: '3', mode: 0o666 },
      { path: 'dev/fifo', type: '6' },
    ],
  },
  {
    compression: 'none',
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    entries: [
      { path: '../escape', content: 'escaped' },
      { path: '../../../../escape', content: 'escaped' },
      { path: 'a/../../escape', content: 'escaped' },
      { path: '/abs-file', content: 'absolute' },
      // An absolute link to a file, then a write through it as a directory: it lands in the
      // image's /etc/passwd (which it makes a directory), never the host's.
      { path: 'etc/link', type: '2', linkname: '/etc/passwd' },
      { path: 'etc/link/x', content: 'through the link' },
      { path: 'etc/dirlink', type: '2', linkname: '/etc' },
      { path: `etc/dirlink/${pwned}`, content: 'pwned' },
      { path: 'up', type: '2', linkname: '../../../..' },
      { path: `up/${pwned}`, content: 'up' },
      { path: '.wh.gone' },
      { path: 'etc/keep/.wh.a' },
      { path: 'opaque/.wh..wh..opq' },
      { path: 'opaque/new', content: 'new' },
    ],
  },
  {
    compression: 'zstd',
    entries: [
      { path: 'usr', type: '5' },
      { path: 'usr/zstd.txt', content: 'from a zstd layer' },
    ],
  },
];

const HOSTILE_TREE = [
  'abs-file 644 0:0 "absolute"',
  'bin/ 755 0:0',
  'bin/su 4755 1000:1000 "su binary"',
  'bin/su-link 4755 1000:1000 "su binary"',
  'dev/ 755 0:0',
  'etc/ 755 0:0',
  'etc/dirlink -> /etc 0:0',
  'etc/keep/ 755 0:0',
  'etc/keep/b 644 0:0 "b"',
  'etc/link -> /etc/passwd 0:0',
  `etc/${pwned} 644 0:0 "pwned"`,
  'etc/passwd/ 755 0:0',
  'etc/passwd/x 644 0:0 "through the link"',
  `${pwned} 644 0:0 "up"`,
  'opaque/ 755 0:0',
  'opaque/new 644 0:0 "new"',
  'up -> ../../../.. 0:0',
  'usr/ 755 0:0',
  'usr/zstd.txt 644 0:0 "from a zstd layer"',
];

const sha256File = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe.skipIf(!isRoot)('cachedRootfs: building an entry', () => {
  it('applies hostile layers in order, exactly, and writes nothing outside the root', async () => {
    const hostPasswd = await sha256File('/etc/passwd');
    const options = await storeImage(HOSTILE_IMAGE);
    const layers: [number, number][] = [];
    const rootfs = await cachedRootfs({ ...options, onLayer: (index, total) => layers.push([index, total]) });

    const hex = options.manifest.config.digest.slice('sha256:'.length);
    expect(rootfs).toBe(join(dataHome, 'rootfs', hex, 'rootfs'));
    expect(layers).toEqual([[0, 3], [1, 3], [2, 3]]);
    const actual = await tree(rootfs);
    expect([...actual].sort()).toEqual([...HOSTILE_TREE].sort());

    // One inode for the hard link; the setuid bit survived the chown.
    const su = await stat(join(rootfs, 'bin/su'));
    expect((await stat(join(rootfs, 'bin/su-link'))).ino).toBe(su.ino);
    expect(su.nlink).toBe(2);
    expect(su.mode & 0o7777).toBe(0o4755);

    // Nothing beside the tree, above it or on the host.
    expect((await readdir(base)).sort()).toEqual(['data', 'layout']);
    expect(await readdir(dataHome)).toEqual(['rootfs']);
    expect(await readdir(join(dataHome, 'rootfs'))).toEqual([hex]);
    expect((await readdir(join(dataHome, 'rootfs', hex))).sort()).toEqual(['complete.json', 'rootfs']);
    expect(existsSync(join('/etc', pwned))).toBe(false);
    expect(existsSync(join('/', pwned))).toBe(false);
    expect(await sha256File('/etc/passwd')).toBe(hostPasswd);

    // What was left out is on record.
    const record = JSON.parse(await readFile(join(dataHome, 'rootfs', hex, 'complete.json'), 'utf8')) as { config: string; notes: string[] };
    expect(record.config).toBe(options.manifest.config.digest);
    expect(record.notes).toEqual([
      expect.stringMatching(/^layer 1: skipped char "dev\/null"/),
      expect.stringMatching(/^layer 1: skipped fifo "dev\/fifo"/),
      'layer 2: skipped "../escape": the path leaves the root',
      'layer 2: skipped "../../../../escape": the path leaves the root',
      'layer 2: skipped "a/../../escape": the path leaves the root',
    ]);
  });

  it('unpacks zstd layers, under OCI and Docker media types', async () => {
    const options = await storeImage([
      { compression: 'zstd', entries: [{ path: 'a', content: 'one' }, { path: 'b', content: 'two' }] },
      // Padding past a few 128 KiB blocks: read only if the layer is read to its very end.
      { compression: 'zstd', mediaType: 'application/vnd.docker.image.rootfs.diff.tar.zstd', padding: 400_000, entries: [{ path: '.wh.a' }, { path: 'c', mode: 0o600, content: 'three' }] },
    ]);
    expect(await tree(await cachedRootfs(options))).toEqual(['b 644 0:0 "two"', 'c 600 0:0 "three"']);
  });

  it('returns a finished entry at once, without reading the layers again', async () => {
    const options = await storeImage([{ compression: 'gzip', entries: [{ path: 'hello', content: 'hi' }] }]);
    const first = await cachedRootfs(options);
    const inode = (await stat(first)).ino;
    // Were the layers read again, their absence would fail the call.
    for (const layer of options.manifest.layers) await rm(layout.blobPath(layer.digest));
    let called = false;
    const again = await cachedRootfs({ ...options, onLayer: () => (called = true) });
    expect(again).toBe(first);
    expect((await stat(again)).ino).toBe(inode);
    expect(called).toBe(false);
    expect(await tree(again)).toEqual(['hello 644 0:0 "hi"']);
  });

  it('gives callers racing on one image the same finished entry, and leaves no scratch directory', async () => {
    const options = await storeImage(HOSTILE_IMAGE.slice(0, 1));
    let builds = 0;
    const racing = { ...options, onLayer: () => (builds += 1) };
    const paths = await Promise.all([cachedRootfs(racing), cachedRootfs(racing), cachedRootfs(racing)]);
    // All three built (one layer each); two lost the rename.
    expect(builds).toBe(3);
    expect(new Set(paths).size).toBe(1);
    const hex = options.manifest.config.digest.slice('sha256:'.length);
    expect(await readdir(join(dataHome, 'rootfs'))).toEqual([hex]);
    expect(await tree(paths[0] as string)).toContain('bin/su 4755 1000:1000 "su binary"');
  });

  it("removes what a killed build left, and keeps a running build's scratch directory", async () => {
    const ended = spawnSync('true').pid;
    const cacheDir = join(dataHome, 'rootfs');
    const killed = join(cacheDir, `unpacking-${ended}-1700000000000-0badc0de`);
    const running = join(cacheDir, 'unpacking-1-1700000000000-0badc0de');
    await mkdir(join(killed, 'rootfs', 'etc'), { recursive: true });
    await mkdir(running, { recursive: true });
    const options = await storeImage([{ compression: 'none', entries: [{ path: 'f', content: 'f' }] }]);
    await cachedRootfs(options);
    expect(existsSync(killed)).toBe(false);
    expect(existsSync(running)).toBe(true);
  });
});

describe.skipIf(!isRoot)('cachedRootfs: refusing an image', () => {
  /** The cache holds no entry and no scratch directory. */
  async function expectNoEntry(): Promise<void> {
    expect(await readdir(join(dataHome, 'rootfs')).catch(() => [])).toEqual([]);
  }

  it('refuses a layer whose content does not match its diff_id, naming the layer and both digests', async () => {
    const options = await storeImage([
      { compression: 'gzip', entries: [{ path: 'ok', content: 'ok' }] },
      { compression: 'zstd', entries: [{ path: 'tampered', content: 'tampered' }] },
    ]);
    const claimed = digestOf('something else');
    const actual = options.config.rootfs.diff_ids[1] as string;
    const config = { rootfs: { ...options.config.rootfs, diff_ids: [options.config.rootfs.diff_ids[0] as string, claimed] } };
    const layer = options.manifest.layers[1]?.digest as string;
    const error = await cachedRootfs({ ...options, config }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`layer 2 of 2 (${layer})`);
    expect((error as Error).message).toContain(actual);
    expect((error as Error).message).toContain(claimed);
    await expectNoEntry();
  });

  it('refuses a blob of the store that does not match its digest', async () => {
    const options = await storeImage([{ compression: 'none', entries: [{ path: 'file', content: 'original' }] }]);
    const layer = options.manifest.layers[0] as Descriptor;
    // Same length, one byte of content changed: still a valid tar.
    const bytes = await readFile(layout.blobPath(layer.digest));
    bytes[bytes.indexOf('original')] = 'O'.charCodeAt(0);
    await writeFile(layout.blobPath(layer.digest), bytes);
    const message = await cachedRootfs(options).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(message).toContain(`layer 1 of 1 (${layer.digest})`);
    expect(message).toContain(digestOf(bytes));
    expect(message).toContain(layer.digest);
    await expectNoEntry();
  });

  it('refuses a layer count that differs from the diff_ids, and an unknown layer media type', async () => {
    const options = await storeImage([{ compression: 'gzip', entries: [{ path: 'a', content: 'a' }] }]);
    await expect(cachedRootfs({ ...options, config: { rootfs: { type: 'layers', diff_ids: [] } } })).rejects.toThrow(/lists 1 layers but its config .* lists 0 diff_ids/);
    const foreign = { ...options.manifest, layers: options.manifest.layers.map((l) => ({ ...l, mediaType: 'application/vnd.example.layer.v1.squashfs' })) };
    await expect(cachedRootfs({ ...options, manifest: foreign })).rejects.toThrow(/layer 1 of 1 .* "application\/vnd.example.layer.v1.squashfs", which cannot be unpacked/);
    await expectNoEntry();
  });

  it('refuses a layer missing from the store, and a layer that is not a tar', async () => {
    const options = await storeImage([{ compression: 'gzip', entries: [{ path: 'a', content: 'a' }] }]);
    const layer = options.manifest.layers[0] as Descriptor;
    await rm(layout.blobPath(layer.digest));
    await expect(cachedRootfs(options)).rejects.toThrow(/layer 1 of 1 .* is not in the local image store/);
    const junk = Buffer.from('not a tar archive at all'.repeat(40));
    await layout.writeBlob(digestOf(junk), junk);
    const manifest = { ...options.manifest, layers: [{ ...layer, digest: digestOf(junk), size: junk.length }] };
    await expect(cachedRootfs({ ...options, manifest })).rejects.toThrow(/layer 1 of 1 .* could not be unpacked: tar header checksum mismatch/);
    await expectNoEntry();
  });
});
