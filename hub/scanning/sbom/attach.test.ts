/** Attaching SBOMs through the registry's services, read back over the distribution API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSampleImage, type SampleImage } from '../../../cli/testing.ts';
import { fetchBlobBytes, fetchManifest } from '../../client/pull.ts';
import type { HubClient } from '../../client/client.ts';
import { digestOf } from '../../oci/digest.ts';
import { MediaType } from '../../oci/mediatypes.ts';
import type { ScannedImage } from '../types.ts';
import { attachSbom, attachSboms } from './attach.ts';
import { SbomMediaType, SBOM_GENERATOR_ANNOTATION } from './media-types.ts';
import { sampleImage, startSbomTestHub, type SbomTestHub } from './testing.ts';

let hub: SbomTestHub;
let client: HubClient;
let pushed: SampleImage;
let image: ScannedImage;

beforeAll(async () => {
  hub = await startSbomTestHub();
  client = hub.admin();
  pushed = await pushSampleImage(client, 'team/app', 'v1');
  image = { ...sampleImage, repository: 'team/app', digest: pushed.digest, created: '1970-01-01T00:00:00Z' };
});

afterAll(async () => {
  await hub?.destroy();
});

/** The referrers of the sample image, from the distribution API's referrers endpoint. */
async function referrers(): Promise<{ digest: string; artifactType?: string; annotations?: Record<string, string> }[]> {
  const res = await client.v2('GET', `/v2/team/app/referrers/${pushed.digest}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[] }).manifests;
}

describe('attachSboms', () => {
  it('attaches a CycloneDX and an SPDX referrer that clients find and read', async () => {
    const attached = await attachSboms(hub.registry, image);
    const listed = await referrers();
    expect(listed.map((r) => [r.digest, r.artifactType]).sort()).toEqual(
      [
        [attached.cyclonedx, SbomMediaType.CycloneDx],
        [attached.spdx, SbomMediaType.Spdx],
      ].sort(),
    );
    expect(listed.every((r) => r.annotations?.[SBOM_GENERATOR_ANNOTATION] === 'nocker-hub')).toBe(true);
    expect(listed.every((r) => r.annotations?.['org.opencontainers.image.created'] === '1970-01-01T00:00:00Z')).toBe(true);

    const manifest = await fetchManifest(client, 'team/app', attached.cyclonedx);
    const document = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as {
      artifactType: string;
      config: { mediaType: string; digest: string };
      layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
      subject: { digest: string; mediaType: string; size: number };
    };
    expect(document.config.mediaType).toBe(MediaType.OciEmpty);
    expect(document.subject).toEqual({ mediaType: MediaType.OciManifest, digest: pushed.digest, size: pushed.size });
    expect(document.layers).toHaveLength(1);
    expect(document.layers[0]?.annotations).toEqual({ 'org.opencontainers.image.title': 'sbom.cdx.json' });
    const layer = document.layers[0]!;
    const bom = JSON.parse(Buffer.from(await fetchBlobBytes(client, 'team/app', layer)).toString('utf8')) as { metadata: { component: { version: string } } };
    expect(bom.metadata.component.version).toBe(pushed.digest);
  });

  it('writes nothing for an unchanged image and replaces the Hub’s SBOMs when the packages change', async () => {
    const first = await attachSboms(hub.registry, image);
    const pushes: string[] = [];
    const off = hub.registry.events.on((event) => void pushes.push(event.type));
    expect(await attachSboms(hub.registry, image)).toEqual(first);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pushes).toEqual([]);
    off();

    const changed = await attachSboms(hub.registry, { ...image, packages: image.packages.slice(1) });
    expect(changed.cyclonedx).not.toBe(first.cyclonedx);
    expect(changed.spdx).not.toBe(first.spdx);
    const listed = await referrers();
    expect(listed.map((r) => r.digest).sort()).toEqual([changed.cyclonedx, changed.spdx].sort());
  });

  it('leaves SBOMs that others attached alone', async () => {
    const stored = await hub.registry.manifests.get('team/app', pushed.digest);
    const subject = { mediaType: stored.mediaType, digest: pushed.digest, size: stored.content.length };
    // A build's SBOM: pushed like the Hub's, but without the generator annotation.
    const foreign = await attachSbom(hub.registry, 'team/app', subject, 'cyclonedx', '{"bomFormat":"CycloneDX","specVersion":"1.5"}');
    const manifest = await hub.registry.manifests.get('team/app', foreign);
    const unmarked = JSON.parse(Buffer.from(manifest.content).toString('utf8')) as { annotations: Record<string, string> };
    delete unmarked.annotations[SBOM_GENERATOR_ANNOTATION];
    const bytes = Buffer.from(JSON.stringify(unmarked));
    const { digest: buildDigest } = await hub.registry.manifests.put('team/app', digestOf(bytes), bytes, MediaType.OciManifest);
    await hub.registry.manifests.delete('team/app', foreign);

    const attached = await attachSboms(hub.registry, { ...image, packages: [] });
    const listed = await referrers();
    expect(listed.map((r) => r.digest).sort()).toEqual([attached.cyclonedx, attached.spdx, buildDigest].sort());
  });

  it('fails for an image that is not in the repository', async () => {
    await expect(attachSboms(hub.registry, { ...image, digest: `sha256:${'0'.repeat(64)}` })).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
  });
});
