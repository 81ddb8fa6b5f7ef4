import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import { parseManifest } from '../oci/manifest.ts';
import { EMPTY_DESCRIPTOR, MediaType } from '../oci/mediatypes.ts';
import type { Registry } from '../registry/registry.ts';
import { isArtifact, scanImage, UnscannableImageError } from './scan-image.ts';
import { platformOf } from '../oci/platform.ts';

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

async function* bytes(data: Buffer): AsyncIterable<Uint8Array> {
  yield data;
}

async function putBlob(registry: Registry, repository: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const upload = await registry.uploads.start(repository);
  await registry.uploads.finish(repository, upload.id, sha256(data), bytes(data));
  return { digest: sha256(data), size: data.length };
}

async function putManifest(registry: Registry, repository: string, manifest: object): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  const { digest } = await registry.manifests.put(repository, sha256(body), body, undefined);
  return digest;
}

describe('platformOf and isArtifact', () => {
  it('writes platforms as os/architecture[/variant]', () => {
    expect(platformOf({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(platformOf({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
    expect(platformOf({ os: 'linux' })).toBeUndefined();
    expect(platformOf(undefined)).toBeUndefined();
  });

  it('tells artifacts (a subject, or a config that is not an image config) from images', () => {
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(Buffer.from('x')), size: 1 };
    const image = (config: object, extra: object = {}) => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer], ...extra })), undefined);
    const config = { mediaType: OCI_CONFIG, digest: layer.digest, size: 1 };
    expect(isArtifact(image(config), config)).toBe(false);
    expect(isArtifact(image(EMPTY_DESCRIPTOR), EMPTY_DESCRIPTOR)).toBe(true);
    expect(isArtifact(image(config, { subject: { mediaType: MediaType.OciManifest, digest: layer.digest, size: 1 } }), config)).toBe(true);
  });
});

describe('scanImage', () => {
  const backends = useTestBackends();

  it('refuses for good an image whose config does not describe its layers', async () => {
    const { registry } = backends();
    const layer = await putBlob(registry, 'team/bad', Buffer.from('not a tar'));
    const noRootfs = await putBlob(registry, 'team/bad', Buffer.from('{"architecture":"amd64","os":"linux"}'));
    const twoDiffIds = await putBlob(registry, 'team/bad', Buffer.from(`{"rootfs":{"type":"layers","diff_ids":["${layer.digest}","${layer.digest}"]}}`));
    const notJson = await putBlob(registry, 'team/bad', Buffer.from('{"rootfs":'));
    const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }];
    const reasons: string[] = [];
    for (const config of [noRootfs, twoDiffIds, notJson]) {
      const digest = await putManifest(registry, 'team/bad', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: OCI_CONFIG, ...config }, layers });
      const error = await scanImage(registry, 'team/bad', digest).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnscannableImageError);
      reasons.push((error as Error).message);
    }
    expect(reasons[0]).toBe('the image config has no rootfs.diff_ids list');
    expect(reasons[1]).toBe('the manifest lists 1 layers but the image config 2 diff_ids');
    expect(reasons[2]).toMatch(/^the image config sha256:[0-9a-f]{64} is not JSON/);
  });

  it('lists the images of an index with their platforms, and leaves artifacts alone', async () => {
    const { registry } = backends();
    const config = await putBlob(registry, 'team/idx', Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]},"os":"linux","architecture":"arm64"}'));
    const child = await putManifest(registry, 'team/idx', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: OCI_CONFIG, ...config }, layers: [] });
    const size = Buffer.byteLength(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: OCI_CONFIG, ...config }, layers: [] }));
    const index = await putManifest(registry, 'team/idx', {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciManifest, digest: child, size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }],
    });
    expect(await scanImage(registry, 'team/idx', index)).toEqual({ kind: 'index', digest: index, mediaType: MediaType.OciIndex, children: [{ digest: child, platform: 'linux/arm64/v8' }] });
    const scanned = await scanImage(registry, 'team/idx', child);
    expect(scanned).toMatchObject({ kind: 'image', image: { digest: child, platform: 'linux/arm64', packages: [] } });

    await putBlob(registry, 'team/idx', Buffer.from('{}'));
    const artifact = await putManifest(registry, 'team/idx', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: EMPTY_DESCRIPTOR, layers: [], subject: { mediaType: MediaType.OciManifest, digest: child, size } });
    expect(await scanImage(registry, 'team/idx', artifact)).toEqual({ kind: 'artifact' });
  });
});
