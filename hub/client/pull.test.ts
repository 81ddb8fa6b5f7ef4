/** Pulling from a real Hub: references, manifests, platform selection, verified blob downloads, listings. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { imageConfig } from '../../engine/image/config.ts';
import { imageManifest } from '../../engine/image/manifest.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { HubClient } from './client.ts';
import { downloadBlob, fetchManifest, listRepositories, listTags, parseRemoteReference, resolveImage } from './pull.ts';
import { pushImage } from './push.ts';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
let hub: TestHub;
let client: HubClient;
let dir: string;

/** Pushes a one-layer image for `architecture`; resolves to its manifest digest and layer. */
async function pushSample(repository: string, tag: string, architecture: string): Promise<{ digest: string; size: number; layer: Buffer }> {
  const layer = Buffer.from(`layer for ${architecture}`);
  const layerBlob = { mediaType: LAYER_TYPE, digest: sha256(layer), size: layer.length, bytes: layer };
  const config = imageConfig({ os: 'linux', architecture, diffIds: [sha256(layer)], created: 0 });
  const manifest = imageManifest({ config, layers: [layerBlob], created: 0 });
  await pushImage(client, repository, tag, { config, layers: [layerBlob], manifest });
  return { digest: manifest.digest, size: manifest.size, layer };
}

beforeAll(async () => {
  hub = await startTestHub();
  client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
  dir = await mkdtemp(join(tmpdir(), 'nocker-pull-'));
});
afterAll(async () => {
  await hub?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('parseRemoteReference', () => {
  it('reads hubs, tags and digests', () => {
    const digest = sha256('x');
    expect(parseRemoteReference('team/app')).toEqual({ repository: 'team/app', tag: 'latest' });
    expect(parseRemoteReference('127.0.0.1:5000/team/app:v1')).toEqual({ hub: '127.0.0.1:5000', repository: 'team/app', tag: 'v1' });
    expect(parseRemoteReference(`localhost/app@${digest}`)).toEqual({ hub: 'localhost', repository: 'app', digest });
    expect(parseRemoteReference(`app:v2@${digest}`)).toEqual({ repository: 'app', tag: 'v2', digest });
    expect(() => parseRemoteReference('App:v1')).toThrow('not a valid repository name');
    expect(() => parseRemoteReference('app:-x')).toThrow('not a valid tag');
    expect(() => parseRemoteReference('app@sha256:abc')).toThrow('64 lowercase hex');
  });
});

describe('pull', () => {
  it('resolves a tag or a digest to the image manifest and streams its blobs, verified', async () => {
    const image = await pushSample('pull/one', 'v1', 'amd64');
    const byTag = await resolveImage(client, 'pull/one', 'v1', { os: 'linux', architecture: 'amd64' });
    expect(byTag.manifest.digest).toBe(image.digest);
    expect(byTag.index).toBeUndefined();
    const byDigest = await fetchManifest(client, 'pull/one', image.digest);
    expect(Buffer.from(byDigest.bytes)).toEqual(Buffer.from(byTag.manifest.bytes));
    const layer = byTag.manifest.parsed.blobs[1];
    if (!layer) throw new Error('no layer');
    const path = join(dir, 'layer');
    await downloadBlob(client, 'pull/one', layer, path);
    expect(await readFile(path)).toEqual(image.layer);
  });

  it('picks the platform from an index, and names the platforms there are when none fits', async () => {
    const amd = await pushSample('pull/multi', 'amd', 'amd64');
    const arm = await pushSample('pull/multi', 'arm', 'arm64');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          { mediaType: MediaType.OciManifest, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: MediaType.OciManifest, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        ],
      }),
    );
    const put = await client.v2('PUT', '/v2/pull/multi/manifests/latest', { headers: { 'Content-Type': MediaType.OciIndex }, body: index });
    expect(put.status).toBe(201);
    expect((await resolveImage(client, 'pull/multi', 'latest', { os: 'linux', architecture: 'amd64' })).manifest.digest).toBe(amd.digest);
    const picked = await resolveImage(client, 'pull/multi', 'latest', { os: 'linux', architecture: 'arm64' });
    expect(picked.manifest.digest).toBe(arm.digest);
    expect(picked.index?.digest).toBe(sha256(index));
    await expect(resolveImage(client, 'pull/multi', 'latest', { os: 'linux', architecture: 's390x' })).rejects.toThrow('platforms: linux/amd64, linux/arm64/v8');
  });

  it('refuses a blob whose bytes do not match and leaves no file', async () => {
    const image = await pushSample('pull/bad', 'v1', 'amd64');
    const { manifest } = await resolveImage(client, 'pull/bad', 'v1', { os: 'linux', architecture: 'amd64' });
    const layer = manifest.parsed.blobs[1];
    if (!layer) throw new Error('no layer');
    const lying = new HubClient({
      url: hub.url,
      credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password },
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (!String(input).includes('/blobs/') || !res.ok) return res;
        const bytes = Buffer.from(await res.arrayBuffer());
        bytes[0] = (bytes[0] ?? 0) ^ 1;
        return new Response(bytes, { status: 200, headers: res.headers });
      },
    });
    const path = join(dir, 'bad-layer');
    await expect(downloadBlob(lying, 'pull/bad', layer, path)).rejects.toThrow('arrived with the digest');
    expect(existsSync(path)).toBe(false);
    await expect(downloadBlob(client, 'pull/bad', { ...layer, size: image.layer.length - 1 }, path)).rejects.toThrow('larger than');
    expect(existsSync(path)).toBe(false);
  });

  it('reports a missing manifest with the Hub message', async () => {
    await expect(fetchManifest(client, 'pull/one', 'nope')).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
  });
});

describe('listings', () => {
  it('follows Link pagination through the catalog and the tags', async () => {
    await pushSample('list/a', 't1', 'amd64');
    await pushSample('list/a', 't2', 'amd64');
    await pushSample('list/a', 't3', 'amd64');
    await pushSample('list/b', 'x', 'amd64');
    expect(await listTags(client, 'list/a', { pageSize: 2 })).toEqual(['t1', 't2', 't3']);
    const repositories = await listRepositories(client, { pageSize: 1 });
    expect(repositories).toEqual(expect.arrayContaining(['list/a', 'list/b']));
    expect(new Set(repositories).size).toBe(repositories.length);
  });
});
