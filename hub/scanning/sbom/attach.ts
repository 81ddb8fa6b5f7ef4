/**
 * Attaching the Hub's SBOMs to a scanned image: each format pushed through the registry's own
 * services as an OCI artifact whose subject is the image, so that any client of the referrers
 * API (`oras discover`, `cosign download sbom`, `nocker sbom`) finds it. One current SBOM per
 * format: pushing a changed one removes the Hub's earlier one, pushing the same one changes nothing.
 */
import { digestOf } from '../../oci/digest.ts';
import { OciError } from '../../oci/errors.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { EMPTY_DESCRIPTOR, MediaType } from '../../oci/mediatypes.ts';
import type { Registry } from '../../registry/registry.ts';
import type { ScannedImage } from '../types.ts';
import { cycloneDxDocument } from './cyclonedx.ts';
import { imageCreated } from './identity.ts';
import { SBOM_FORMATS, SBOM_GENERATOR, SBOM_GENERATOR_ANNOTATION, type SbomFormat } from './media-types.ts';
import { spdxDocument } from './spdx.ts';

/** The layer annotation naming the file a client should save the layer as. */
const TITLE_ANNOTATION = 'org.opencontainers.image.title';
const CREATED_ANNOTATION = 'org.opencontainers.image.created';

/**
 * The digests of the referrer manifests that carry an image's SBOMs.
 *
 * @example
 * const { cyclonedx }: AttachedSboms = await attachSboms(registry, image);
 */
export interface AttachedSboms {
  cyclonedx: string;
  spdx: string;
}

/** Stores `bytes` as a blob of `repository` unless it is there already. */
async function ensureBlob(registry: Registry, repository: string, digest: string, bytes: Uint8Array): Promise<void> {
  try {
    await registry.blobs.stat(repository, digest);
    return;
  } catch (err) {
    if (!(err instanceof OciError) || err.code !== 'BLOB_UNKNOWN') throw err;
  }
  await registry.uploads.putWhole(repository, digest, (async function* () {
    yield bytes;
  })());
}

/**
 * The referrer manifest of one SBOM: the empty config, the document as its one layer, the
 * image as its subject. Its bytes depend only on the document, the image and its date.
 *
 * @example
 * const bytes = sbomManifest('cyclonedx', { mediaType, digest, size }, subject, '2024-05-01T10:20:30Z');
 */
export function sbomManifest(format: SbomFormat, document: Descriptor, subject: Descriptor, created: string | undefined): Uint8Array {
  const { artifactType, title } = SBOM_FORMATS[format];
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType,
    config: EMPTY_DESCRIPTOR,
    layers: [{ ...document, annotations: { [TITLE_ANNOTATION]: title } }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { ...(created ? { [CREATED_ANNOTATION]: created } : {}), [SBOM_GENERATOR_ANNOTATION]: SBOM_GENERATOR },
  };
  return Buffer.from(JSON.stringify(manifest));
}

/**
 * Pushes one SBOM document as a referrer of `subject` in `repository`, then deletes the Hub's
 * other SBOM referrers of that format for the subject. Returns the referrer's digest; when the
 * same manifest is there already nothing is written.
 *
 * @example
 * const digest = await attachSbom(registry, 'team/app', subject, 'spdx', json, '2024-05-01T10:20:30Z');
 */
export async function attachSbom(registry: Registry, repository: string, subject: Descriptor, format: SbomFormat, document: string, created?: string): Promise<string> {
  const { artifactType } = SBOM_FORMATS[format];
  const bytes = Buffer.from(document);
  const layer = { mediaType: artifactType, digest: digestOf(bytes), size: bytes.length };
  const manifest = sbomManifest(format, layer, subject, created);
  const digest = digestOf(manifest);
  const existing = await registry.manifests.referrers(repository, subject.digest, artifactType);
  if (!existing.some((referrer) => referrer.digest === digest)) {
    await ensureBlob(registry, repository, EMPTY_DESCRIPTOR.digest, Buffer.from('{}'));
    await ensureBlob(registry, repository, layer.digest, bytes);
    await registry.manifests.put(repository, digest, manifest, MediaType.OciManifest);
  }
  // After the push, not before: the image is never without an SBOM of this format meanwhile.
  for (const referrer of existing) {
    if (referrer.digest === digest || referrer.annotations?.[SBOM_GENERATOR_ANNOTATION] !== SBOM_GENERATOR) continue;
    await registry.manifests.delete(repository, referrer.digest).catch((err: unknown) => {
      // Deleted meanwhile (by a scan of the same image running elsewhere): what was wanted.
      if (!(err instanceof OciError) || err.code !== 'MANIFEST_UNKNOWN') throw err;
    });
  }
  return digest;
}

/**
 * Makes the CycloneDX and SPDX SBOMs of a scanned image and attaches both to it in its
 * repository, through the registry's services. Scanning an unchanged image again writes
 * nothing; a changed package list replaces the Hub's earlier SBOMs. SBOMs that others attached
 * (without the Hub's generator annotation) are left alone.
 *
 * @example
 * const { cyclonedx, spdx } = await attachSboms(registry, scannedImage);
 */
export async function attachSboms(registry: Registry, image: ScannedImage): Promise<AttachedSboms> {
  const stored = await registry.manifests.get(image.repository, image.digest);
  const subject = { mediaType: stored.mediaType, digest: image.digest, size: stored.content.length };
  const created = imageCreated(image);
  const cyclonedx = await attachSbom(registry, image.repository, subject, 'cyclonedx', await cycloneDxDocument(image), created);
  const spdx = await attachSbom(registry, image.repository, subject, 'spdx', spdxDocument(image), created);
  return { cyclonedx, spdx };
}
