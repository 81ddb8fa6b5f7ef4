/** Pushing an image to a real test Hub, then reading it back. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { OciError } from '../oci/errors.ts';
import { HubClient } from './client.ts';
import { pushImage, type PushBlob } from './push.ts';

let hub: TestHub;
let dir: string;
const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

beforeAll(async () => {
  hub = await startTestHub();
  dir = await mkdtemp(join(tmpdir(), 'nocker-push-'));
});
afterAll(async () => {
  await hub?.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function image(seed: string) {
  const layerBytes = Buffer.alloc(300_000, seed);
  const layerPath = join(dir, `${seed}.blob`);
  await writeFile(layerPath, layerBytes);
  const layer: PushBlob = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layerBytes), size: layerBytes.length, path: layerPath };
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
  const config: PushBlob = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length, bytes: configBytes };
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    }),
  );
  return { config, layers: [layer], manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifestBytes), bytes: manifestBytes } };
}

describe('pushImage', () => {
  it('pushes blobs and the manifest through the token handshake, and reads back the same bytes', async () => {
    const client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const img = await image('a');
    const outcomes: string[] = [];
    const result = await pushImage(client, 'push-test/app', 'v1', img, { onBlob: (b, o) => outcomes.push(`${b.digest}:${o}`) });
    expect(result.digest).toBe(img.manifest.digest);
    expect(result.pushed).toEqual([img.layers[0]?.digest, img.config.digest]);
    expect(outcomes).toHaveLength(2);

    const reader = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const manifest = await reader.v2('GET', '/v2/push-test/app/manifests/v1', { headers: { Accept: img.manifest.mediaType } });
    expect(manifest.status).toBe(200);
    const manifestBytes = new Uint8Array(await manifest.arrayBuffer());
    expect(sha256(manifestBytes)).toBe(img.manifest.digest);
    for (const blob of [img.config, ...img.layers]) {
      const res = await reader.v2('GET', `/v2/push-test/app/blobs/${blob.digest}`);
      expect(res.status).toBe(200);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(blob.digest);
    }
  });

  it('skips blobs the Hub already has', async () => {
    const client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const img = await image('b');
    await pushImage(client, 'push-test/again', 'one', img);
    const second = await pushImage(client, 'push-test/again', 'two', img);
    expect(second.pushed).toEqual([]);
    expect(second.skipped).toEqual([img.layers[0]?.digest, img.config.digest]);
    expect(second.digest).toBe(img.manifest.digest);
  });

  it('fails with the Hub error when not allowed to push', async () => {
    const anonymous = new HubClient({ url: hub.url });
    const err = await pushImage(anonymous, 'push-test/denied', 'v1', await image('c')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).status).toBe(401);
  });
});
