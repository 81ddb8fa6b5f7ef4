/**
 * Test support for the dependency graph (not itself a test file): layer tarballs, plain or
 * gzipped (same diffID, another blob digest: a recompressed copy), and images built from them
 * pushed to a Hub with the annotations a build writes.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { HubClient } from '../client/client.ts';
import { pushImage, type PushBlob } from '../client/push.ts';
import { rawTar } from '../oci/testing-archives.ts';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A layer: its tarball's digest (the diffID) and the blob pushed for it. */
export interface TestLayer {
  diffId: string;
  blob: PushBlob & { bytes: Uint8Array };
}

/**
 * A one-file layer; `gzip` gives the same tarball compressed, i.e. the same diffID in another blob.
 *
 * @example
 * const plain = testLayer('os'); const packed = testLayer('os', { gzip: true }); // plain.diffId === packed.diffId
 */
export function testLayer(name: string, options: { gzip?: boolean } = {}): TestLayer {
  const content = `content of layer ${name}\n`;
  const tar = rawTar([{ path: `layers/${name}.txt`, content }]);
  const bytes = options.gzip ? gzipSync(tar, { level: 9 }) : tar;
  const mediaType = options.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar';
  return { diffId: sha256(tar), blob: { mediaType, digest: sha256(bytes), size: bytes.length, bytes } };
}

/** An image pushed: its manifest digest and size. */
export interface TestImage {
  digest: string;
  size: number;
}

/**
 * Pushes a linux/amd64 image of `layers` under `repository:tag`, with `annotations` on its manifest.
 *
 * @example
 * const base = await pushTestImage(client, 'library/base', '1', [testLayer('os')]);
 */
export async function pushTestImage(client: HubClient, repository: string, tag: string, layers: readonly TestLayer[], annotations: Record<string, string> = {}): Promise<TestImage> {
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length, bytes: configBytes };
  const descriptor = (b: PushBlob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: descriptor(config),
      layers: layers.map((l) => descriptor(l.blob)),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    }),
  );
  const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifestBytes), bytes: manifestBytes };
  await pushImage(client, repository, tag, { config, layers: layers.map((l) => l.blob), manifest });
  return { digest: manifest.digest, size: manifestBytes.length };
}

/**
 * Pushes an artifact (empty config) whose subject is `subject`, by digest; resolves to its digest.
 *
 * @example
 * const sbom = await pushTestReferrer(client, 'library/base', base);
 */
export async function pushTestReferrer(client: HubClient, repository: string, subject: TestImage): Promise<string> {
  const empty = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2, bytes: Buffer.from('{}') };
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.report+json',
      config: { mediaType: empty.mediaType, digest: empty.digest, size: empty.size },
      layers: [{ mediaType: empty.mediaType, digest: empty.digest, size: empty.size }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.size },
    }),
  );
  const digest = sha256(bytes);
  await pushImage(client, repository, digest, { config: empty, layers: [], manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, bytes } });
  return digest;
}
