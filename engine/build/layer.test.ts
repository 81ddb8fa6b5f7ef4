import { chown, link, lutimes, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesFromDirectory } from './directory.ts';
import { writeLayer } from './layer.ts';

let dir: string;
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The same tree in `root`, with timestamps (and, as root, owners) that differ per copy. */
async function makeTree(root: string, seconds: number, owner: number): Promise<void> {
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await writeFile(join(root, 'usr/bin/tool'), 'tool contents\n'.repeat(1000));
  await chmod(join(root, 'usr/bin/tool'), 0o4755);
  await link(join(root, 'usr/bin/tool'), join(root, 'usr/bin/alias'));
  await symlink('usr/bin', join(root, 'bin'));
  await writeFile(join(root, 'readme'), 'hello\n');
  for (const p of ['usr/bin/tool', 'readme', 'usr/bin', 'usr', '.']) await utimes(join(root, p), seconds, seconds);
  await lutimes(join(root, 'bin'), seconds, seconds);
  if (process.getuid?.() === 0) for (const p of ['usr/bin/tool', 'readme', 'usr']) await chown(join(root, p), owner, owner);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-layer-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeLayer', () => {
  it('gives the same digests for the same tree, wherever it lies and whatever its timestamps', async () => {
    await makeTree(join(dir, 'a'), 1_600_000_000, 1000);
    await makeTree(join(dir, 'b'), 1_700_000_000, 2000);
    const one = await writeLayer(await entriesFromDirectory(join(dir, 'a')), { directory: dir });
    const again = await writeLayer(await entriesFromDirectory(join(dir, 'a')), { directory: dir });
    const other = await writeLayer(await entriesFromDirectory(join(dir, 'b')), { directory: dir });
    expect(again.digest).toBe(one.digest);
    expect(other.digest).toBe(one.digest);
    expect(other.diffId).toBe(one.diffId);
    expect(one.path).not.toBe(again.path);
  });

  it('reports the compressed digest and size and the uncompressed diffID of what it wrote', async () => {
    await makeTree(join(dir, 'c'), 1, 0);
    const layer = await writeLayer(await entriesFromDirectory(join(dir, 'c')), { directory: dir, sourceDateEpoch: 1234 });
    const blob = await readFile(layer.path);
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(layer.size).toBe(blob.length);
    expect(layer.digest).toBe(sha256(blob));
    expect(layer.diffId).toBe(sha256(gunzipSync(blob)));
  });

  it('writes a gzip header without a name or a timestamp', async () => {
    const layer = await writeLayer([{ type: 'directory', path: 'etc', mode: 0o755 }], { directory: dir });
    const header = (await readFile(layer.path)).subarray(0, 10);
    expect(header[0]).toBe(0x1f);
    expect(header[1]).toBe(0x8b);
    expect(header[2]).toBe(8); // deflate
    expect(header[3]).toBe(0); // FLG: no FNAME, FCOMMENT, FEXTRA, FHCRC
    expect(header.readUInt32LE(4)).toBe(0); // MTIME
    expect(header[9]).toBe(3); // OS: unix
  });
});
