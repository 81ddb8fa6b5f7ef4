import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import { imageLayers } from '../db/schema.ts';
import { chainIds } from './chain-id.ts';
import { backfillImageLayers, recordImageLayers, startLayerRecorder, type ReadBlob } from './record.ts';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const backends = useTestBackends();
const readBlob: ReadBlob = (digest) => backends().registry.blobs.read(digest);

async function* once(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
}

async function pushBlob(repository: string, data: Uint8Array, mediaType: string) {
  const upload = await backends().registry.uploads.start(repository);
  await backends().registry.uploads.append(repository, upload.id, once(data));
  const blob = await backends().registry.uploads.finish(repository, upload.id, sha256(data));
  return { mediaType, digest: blob.digest, size: blob.size };
}

/** Pushes an image whose config lists `diffIds` (its layer blobs are the diffIDs' text). */
async function pushImage(repository: string, tag: string, diffIds: string[], extra: { configType?: string; annotations?: Record<string, string>; subject?: { digest: string; size: number } } = {}) {
  const configType = extra.configType ?? 'application/vnd.oci.image.config.v1+json';
  const config = await pushBlob(repository, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } })), configType);
  const layers = [];
  for (const diffId of diffIds) layers.push(await pushBlob(repository, Buffer.from(diffId), 'application/vnd.oci.image.layer.v1.tar'));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config,
      layers,
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ...(extra.subject ? { subject: { mediaType: OCI_MANIFEST, ...extra.subject } } : {}),
    }),
  );
  const { digest } = await backends().registry.manifests.put(repository, tag, body, OCI_MANIFEST);
  return { digest, size: body.length };
}

const rowOf = async (digest: string) => backends().database.db.select().from(imageLayers).where(eq(imageLayers.digest, digest));
const diffIds = ['a', 'b', 'c'].map((text) => sha256(`layer ${text}`));

describe('recordImageLayers', () => {
  it('records the ChainIDs and the base annotations of an image, again and again', async () => {
    const base = `sha256:${'1'.repeat(64)}`;
    const image = await pushImage('team/app', 'v1', diffIds, { annotations: { 'org.opencontainers.image.base.name': 'hub:5000/library/debian:12', 'org.opencontainers.image.base.digest': base } });
    expect(await recordImageLayers(backends().database.db, readBlob, 'team/app', image.digest)).toBe('recorded');
    expect(await recordImageLayers(backends().database.db, readBlob, 'team/app', image.digest)).toBe('recorded');
    const rows = await rowOf(image.digest);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ chainIds: chainIds(diffIds), layerCount: 3, topChainId: chainIds(diffIds)[2], baseName: 'hub:5000/library/debian:12', baseDigest: base });
  });

  it('records Docker images, and leaves artifacts, referrers and unknown manifests alone', async () => {
    const docker = await pushImage('team/docker', 'v1', diffIds.slice(0, 1), { configType: 'application/vnd.docker.container.image.v1+json' });
    expect(await recordImageLayers(backends().database.db, readBlob, 'team/docker', docker.digest)).toBe('recorded');
    const artifact = await pushImage('team/docker', 'report', diffIds.slice(0, 1), { configType: 'application/vnd.example.config+json' });
    expect(await recordImageLayers(backends().database.db, readBlob, 'team/docker', artifact.digest)).toBe('not-an-image');
    const referrer = await pushImage('team/docker', 'sig', diffIds.slice(0, 1), { subject: docker });
    expect(await recordImageLayers(backends().database.db, readBlob, 'team/docker', referrer.digest)).toBe('not-an-image');
    expect(await recordImageLayers(backends().database.db, readBlob, 'team/docker', `sha256:${'0'.repeat(64)}`)).toBe('unknown');
    expect(await rowOf(artifact.digest)).toEqual([]);
  });

  it('ignores a malformed base digest, and refuses a config without diff_ids', async () => {
    const image = await pushImage('team/odd', 'v1', diffIds.slice(0, 2), { annotations: { 'org.opencontainers.image.base.digest': 'latest' } });
    await recordImageLayers(backends().database.db, readBlob, 'team/odd', image.digest);
    expect((await rowOf(image.digest))[0]).toMatchObject({ baseName: null, baseDigest: null });
    const broken = await pushImage('team/odd', 'broken', ['not-a-digest']);
    await expect(recordImageLayers(backends().database.db, readBlob, 'team/odd', broken.digest)).rejects.toThrow(/diff_ids/);
  });

  it('loses the row with its manifest', async () => {
    const image = await pushImage('team/gone', 'v1', diffIds.slice(0, 1));
    await recordImageLayers(backends().database.db, readBlob, 'team/gone', image.digest);
    await backends().registry.manifests.delete('team/gone', image.digest);
    expect(await rowOf(image.digest)).toEqual([]);
  });
});

describe('backfill and the recorder', () => {
  it('backfills the images without a row, in batches', async () => {
    const first = await pushImage('team/old', 'v1', diffIds.slice(0, 1));
    const second = await pushImage('team/old', 'v2', diffIds.slice(0, 2));
    await backends().database.db.delete(imageLayers);
    // The broken image of the test above is logged and passed over.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await backfillImageLayers(backends().database.db, readBlob, { batchSize: 1 })).toBeGreaterThanOrEqual(2);
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('no rootfs.diff_ids'));
    } finally {
      logged.mockRestore();
    }
    expect(await rowOf(first.digest)).toHaveLength(1);
    expect(await rowOf(second.digest)).toHaveLength(1);
    const again = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await backfillImageLayers(backends().database.db, readBlob)).toBe(0);
    } finally {
      again.mockRestore();
    }
  });

  it('records each image as it is pushed', async () => {
    const recorder = startLayerRecorder(backends().database.db, backends().registry.events, readBlob, { backfill: false });
    try {
      const image = await pushImage('team/new', 'v1', diffIds);
      await new Promise((resolve) => setImmediate(resolve));
      await recorder.settled();
      expect((await rowOf(image.digest))[0]).toMatchObject({ layerCount: 3 });
    } finally {
      recorder.stop();
    }
  });
});
