import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OciLayout, REF_NAME } from './layout.ts';

const sha256 = (data: string | Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-layout-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('OciLayout', () => {
  it('creates oci-layout and an empty index, and stores blobs by digest once', async () => {
    const layout = await OciLayout.open(join(dir, 'out'));
    expect(JSON.parse(await readFile(join(dir, 'out/oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(await readFile(join(dir, 'out/index.json'), 'utf8'))).toEqual({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
    const bytes = Buffer.from('hello');
    expect(await layout.writeBlob(sha256(bytes), bytes)).toBe(true);
    expect(await layout.writeBlob(sha256(bytes), bytes)).toBe(false);
    expect(await readFile(join(dir, 'out/blobs/sha256', sha256(bytes).slice(7)), 'utf8')).toBe('hello');
    await expect(layout.writeBlob(sha256('other'), bytes)).rejects.toThrow('have the digest');
  });

  it('names manifests in index.json, moving a name and keeping the others', async () => {
    const layout = await OciLayout.open(dir);
    const a = Buffer.from('{"a":1}');
    const b = Buffer.from('{"b":2}');
    await layout.writeBlob(sha256(a), a);
    await layout.writeBlob(sha256(b), b);
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    await layout.tag({ mediaType, digest: sha256(a), size: a.length }, 'v1');
    await layout.tag({ mediaType, digest: sha256(a), size: a.length }, 'latest');
    await layout.tag({ mediaType, digest: sha256(b), size: b.length }, 'v1');
    const reopened = await OciLayout.open(dir);
    const index = await reopened.readIndex();
    expect(index.manifests.map((m) => [m.annotations?.[REF_NAME], m.digest])).toEqual([
      ['latest', sha256(a)],
      ['v1', sha256(b)],
    ]);
    expect((await reopened.find('v1'))?.digest).toBe(sha256(b));
    await expect(layout.tag({ mediaType, digest: sha256('missing'), size: 7 }, 'x')).rejects.toThrow('does not hold it');
  });

  it('keeps every name when many are added at once', async () => {
    const layout = await OciLayout.open(dir);
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    const blobs = Array.from({ length: 12 }, (_, i) => Buffer.from(`{"n":${i}}`));
    await Promise.all(blobs.map((b) => layout.writeBlob(sha256(b), b)));
    const others = await Promise.all(blobs.map(() => OciLayout.open(dir)));
    await Promise.all(blobs.map((b, i) => (others[i] ?? layout).tag({ mediaType, digest: sha256(b), size: b.length }, `t${i}`)));
    expect((await layout.readIndex()).manifests).toHaveLength(12);
    expect(await readdir(dir)).not.toContain('index.json.lock');
  });

  it('leaves nothing under blobs/ when a write fails', async () => {
    const layout = await OciLayout.open(dir);
    const digest = sha256('never');
    await expect(
      layout.addBlob(digest, async (temp) => {
        await writeFile(temp, 'half');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(await readdir(join(dir, 'blobs/sha256'))).toEqual([]);
    expect(await layout.hasBlob(digest)).toBe(false);
    expect(await readdir(join(dir, '.ingest'))).toEqual([]);
  });

  it('refuses a directory whose oci-layout is not one', async () => {
    await writeFile(join(dir, 'oci-layout'), 'nonsense');
    await expect(OciLayout.open(dir)).rejects.toThrow('not an OCI image layout');
  });
});
