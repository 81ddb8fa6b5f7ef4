/** Reading the packages of SBOMs that builds attached, from a real registry and database. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSampleImage, type SampleImage } from '../../../cli/testing.ts';
import { digestOf } from '../../oci/digest.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { EMPTY_DESCRIPTOR, MediaType } from '../../oci/mediatypes.ts';
import { attachSboms } from './attach.ts';
import { IN_TOTO_MEDIA_TYPE, SbomMediaType } from './media-types.ts';
import { packageFromPurl, packagesFromAttachedSboms, packagesFromIndexAttestations, packagesFromSbom } from './read.ts';
import { sampleImage, startSbomTestHub, type SbomTestHub } from './testing.ts';

let hub: SbomTestHub;
let image: SampleImage;

async function putBlob(repository: string, content: string | Buffer, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
  const bytes = Buffer.from(content);
  const digest = digestOf(bytes);
  await hub.registry.uploads.putWhole(repository, digest, (async function* () {
    yield bytes;
  })());
  return { mediaType, digest, size: bytes.length, ...(annotations ? { annotations } : {}) };
}

/** Pushes an OCI manifest with the empty config and these layers; returns its descriptor. */
async function putManifest(repository: string, fields: Record<string, unknown>, layers: Descriptor[]): Promise<Descriptor> {
  await putBlob(repository, '{}', MediaType.OciEmpty);
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: EMPTY_DESCRIPTOR, layers, ...fields }));
  const { digest } = await hub.registry.manifests.put(repository, digestOf(bytes), bytes, MediaType.OciManifest);
  return { mediaType: MediaType.OciManifest, digest, size: bytes.length };
}

const buildBom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  components: [
    { type: 'library', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' },
    { type: 'library', name: 'zlib1g', purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib%401%3A1.2.13.dfsg-1' },
    { type: 'library', name: 'thing', purl: 'pkg:generic/thing@1' },
    { type: 'application', name: 'app', components: [{ type: 'library', name: 'logrus', purl: 'pkg:golang/github.com/sirupsen/logrus@v1.9.3' }] },
    { type: 'library', name: 'no-version', purl: 'pkg:npm/no-version' },
  ],
};

beforeAll(async () => {
  hub = await startSbomTestHub();
  image = await pushSampleImage(hub.admin(), 'team/app', 'v1');
});

afterAll(async () => {
  await hub?.destroy();
});

describe('packageFromPurl', () => {
  it('names packages as the analysers do, and skips types the scanner does not match', () => {
    expect(packageFromPurl('pkg:npm/%40types/node@20.11.5', 'sbom:x')).toEqual({ type: 'npm', name: '@types/node', version: '20.11.5', path: 'sbom:x', purl: 'pkg:npm/%40types/node@20.11.5', ecosystem: 'npm' });
    expect(packageFromPurl('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', 'p')).toMatchObject({ type: 'maven', name: 'org.apache.logging.log4j:log4j-core' });
    expect(packageFromPurl('pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&upstream=musl', 'p')).toMatchObject({ name: 'musl', arch: 'x86_64', sourceName: 'musl' });
    // The ecosystem as a scan sets it, the release from the distro qualifier.
    expect(packageFromPurl('pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.19.1', 'p')?.ecosystem).toBe('Alpine:v3.19');
    expect(packageFromPurl('pkg:deb/debian/zlib1g@1.2?distro=debian-12.4', 'p')?.ecosystem).toBe('Debian:12');
    expect(packageFromPurl('pkg:deb/ubuntu/zlib1g@1.2?distro=ubuntu-22.04', 'p')?.ecosystem).toBe('Ubuntu:22.04');
    // Without a release OSV cannot tell which advisories apply: listed, never matched.
    expect(packageFromPurl('pkg:deb/debian/zlib1g@1.2?distro=debian-bookworm', 'p')?.ecosystem).toBeUndefined();
    expect(packageFromPurl('pkg:deb/debian/zlib1g@1.2', 'p')?.ecosystem).toBeUndefined();
    expect(packageFromPurl('pkg:pypi/django@4.2', 'p')).toMatchObject({ type: 'pypi', name: 'django' });
    expect(packageFromPurl('pkg:docker/library/alpine@3.19', 'p')).toBeUndefined();
    expect(packageFromPurl('pkg:npm/unversioned', 'p')).toBeUndefined();
    expect(packageFromPurl('not a purl', 'p')).toBeUndefined();
  });

  it('reads CycloneDX and SPDX documents and refuses others', () => {
    expect(packagesFromSbom(buildBom, 'sbom:x').map((p) => p.name)).toEqual(['left-pad', 'zlib1g', 'github.com/sirupsen/logrus']);
    const spdx = { spdxVersion: 'SPDX-2.3', packages: [{ name: 'rack', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:gem/rack@2.2.8' }] }] };
    expect(packagesFromSbom(spdx, 'sbom:y')).toEqual([{ type: 'gem', name: 'rack', version: '2.2.8', path: 'sbom:y', purl: 'pkg:gem/rack@2.2.8', ecosystem: 'RubyGems' }]);
    expect(() => packagesFromSbom({ hello: 1 }, 'p')).toThrow('neither CycloneDX');
  });
});

describe('packagesFromAttachedSboms', () => {
  it('reads the SBOMs a build attached and skips the Hub’s own and the unreadable ones', async () => {
    const subject = { mediaType: MediaType.OciManifest, digest: image.digest, size: image.size };
    const bomLayer = await putBlob('team/app', JSON.stringify(buildBom), SbomMediaType.CycloneDx);
    const build = await putManifest('team/app', { artifactType: SbomMediaType.CycloneDx, subject }, [bomLayer]);
    // The Hub's SBOMs list what the scan found: reading them back would add nothing.
    await attachSboms(hub.registry, { ...sampleImage, digest: image.digest, packages: [{ type: 'npm', name: 'hub-only', version: '1', path: 'x', purl: 'pkg:npm/hub-only@1' }] });
    const broken = await putManifest('team/app', { artifactType: SbomMediaType.Spdx, subject }, [await putBlob('team/app', '{ not json', SbomMediaType.Spdx)]);

    const warnings: { digest: string; reason: string }[] = [];
    const packages = await packagesFromAttachedSboms(hub.registry, 'team/app', image.digest, { warn: (w) => void warnings.push(w) });
    expect(packages.map((p) => p.purl).sort()).toEqual(['pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib%401%3A1.2.13.dfsg-1', 'pkg:golang/github.com/sirupsen/logrus@v1.9.3', 'pkg:npm/left-pad@1.3.0']);
    expect(packages.every((p) => p.path === `sbom:${build.digest}`)).toBe(true);
    expect(packages.find((p) => p.name === 'zlib1g')).toMatchObject({ type: 'deb', version: '1:1.2.13.dfsg-1', arch: 'amd64', sourceName: 'zlib', sourceVersion: '1:1.2.13.dfsg-1' });
    expect(warnings.map((w) => w.digest)).toEqual([broken.digest]);

    // Bounded: a document over the limit is skipped, not read.
    const small: string[] = [];
    expect(await packagesFromAttachedSboms(hub.registry, 'team/app', image.digest, { maxBytes: 64, warn: (w) => void small.push(w.reason) })).toEqual([]);
    expect(small.some((reason) => reason.includes('more than the 64'))).toBe(true);
  });

  it('reads the SBOM attestations BuildKit puts in an index, skipping other statements unread', async () => {
    const amd64 = await pushSampleImage(hub.admin(), 'team/multi', 'amd64-only', 'amd64');
    const spdx = { spdxVersion: 'SPDX-2.3', packages: [{ name: 'django', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:pypi/django@4.2.1' }] }] };
    const statement = { _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://spdx.dev/Document', subject: [{ name: 'x', digest: { sha256: amd64.digest.slice(7) } }], predicate: spdx };
    const sbomLayer = await putBlob('team/multi', JSON.stringify(statement), IN_TOTO_MEDIA_TYPE, { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' });
    // Provenance is not an SBOM: not even read (this one would not parse).
    const provenance = await putBlob('team/multi', 'not json', IN_TOTO_MEDIA_TYPE, { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' });
    const attestation = await putManifest('team/multi', {}, [sbomLayer, provenance]);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          { mediaType: MediaType.OciManifest, digest: amd64.digest, size: amd64.size, platform: { os: 'linux', architecture: 'amd64' } },
          {
            ...attestation,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.digest },
          },
        ],
      }),
    );
    const { digest: indexDigest } = await hub.registry.manifests.put('team/multi', 'latest', index, MediaType.OciIndex);

    const warnings: string[] = [];
    const warn = (w: { reason: string }) => void warnings.push(w.reason);
    const direct = await packagesFromIndexAttestations(hub.registry, 'team/multi', indexDigest, amd64.digest, { warn });
    expect(direct).toEqual([{ type: 'pypi', name: 'django', version: '4.2.1', path: `sbom:${attestation.digest}`, purl: 'pkg:pypi/django@4.2.1', ecosystem: 'PyPI' }]);
    // Found from the image alone through the indexes listing it; without the database, not.
    expect(await packagesFromAttachedSboms(hub.registry, 'team/multi', amd64.digest, { db: hub.db, warn })).toEqual(direct);
    expect(await packagesFromAttachedSboms(hub.registry, 'team/multi', amd64.digest, { warn })).toEqual([]);
    // Another image of the index has no attestation of its own.
    expect(await packagesFromIndexAttestations(hub.registry, 'team/multi', indexDigest, attestation.digest, { warn })).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('never throws', async () => {
    const warnings: string[] = [];
    const warn = (w: { digest: string }) => void warnings.push(w.digest);
    expect(await packagesFromAttachedSboms(hub.registry, 'no/such', image.digest, { db: hub.db, warn })).toEqual([]);
    const missing = `sha256:${'1'.repeat(64)}`;
    expect(await packagesFromIndexAttestations(hub.registry, 'team/app', missing, image.digest, { warn })).toEqual([]);
    expect(warnings).toEqual([missing]);
  });
});
