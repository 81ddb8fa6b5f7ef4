/**
 * Signatures in a registry: pushing a Sigstore bundle as an OCI 1.1 referrer of the image (the
 * layout cosign's bundle format uses), and finding an image's signatures again — bundles through
 * the referrers API, and cosign's legacy signatures under the tag `sha256-<hex>.sig`.
 */
import { createHash } from 'node:crypto';
import type { SerializedBundle } from '@sigstore/bundle';
import type { HubClient } from '../../hub/client/client.ts';
import { fetchBlobBytes, fetchManifest } from '../../hub/client/pull.ts';
import { listReferrers } from '../../hub/client/referrers.ts';
import { OciError } from '../../hub/oci/errors.ts';
import { pushArtifact } from '../image/artifact.ts';
import type { Descriptor } from '../image/manifest.ts';
import { rfc3339 } from '../image/time.ts';
import { BUNDLE_MEDIA_TYPE } from './bundle.ts';

/** The annotation naming what a bundle holds (`dsse-envelope` or `message-signature`). */
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
/** The annotation naming the in-toto predicate type a bundle's statement carries. */
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
/** cosign's legacy signature layer. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The artifact type of cosign's simple signatures pushed as referrers (its config's media type). */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** The annotation holding a legacy layer's base64 signature. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/**
 * Pushes `bundle` (signing a statement of `predicateType` about `subject`) as a referrer of the
 * image in `repository`; resolves to the signature artifact's digest.
 *
 * @example
 * await pushBundle(client, 'team/app', { mediaType, digest, size }, bundle, SIGNATURE_PREDICATE_TYPE);
 */
export async function pushBundle(client: HubClient, repository: string, subject: Descriptor, bundle: SerializedBundle, predicateType: string, created = new Date()): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(bundle), 'utf8');
  return pushArtifact(client, repository, {
    artifactType: BUNDLE_MEDIA_TYPE,
    layer: { mediaType: BUNDLE_MEDIA_TYPE, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes },
    subject,
    annotations: {
      [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
      [BUNDLE_PREDICATE_ANNOTATION]: predicateType,
      'org.opencontainers.image.created': rfc3339(Math.floor(created.getTime() / 1000)),
    },
  });
}

/** A signature found for an image, not yet verified. */
export type FoundSignature =
  | { format: 'bundle'; artifact: string; created?: string; bundle: Uint8Array }
  | { format: 'simple-signing'; artifact: string; created?: string; payload: Uint8Array; signature: string };

/** The Sigstore bundles referring to `digest`: each referrer's bundle layer. */
async function bundlesOf(client: HubClient, repository: string, digest: string): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const referrer of await listReferrers(client, repository, digest, BUNDLE_MEDIA_TYPE)) {
    const manifest = await fetchManifest(client, repository, referrer.digest);
    const created = manifest.parsed.annotations?.['org.opencontainers.image.created'];
    for (const layer of manifest.parsed.blobs.slice(1).filter((b) => b.mediaType === BUNDLE_MEDIA_TYPE)) {
      found.push({ format: 'bundle', artifact: referrer.digest, created, bundle: await fetchBlobBytes(client, repository, layer) });
    }
  }
  return found;
}

/** The simple-signing layers of a cosign signature manifest, each with its signature annotation. */
async function simpleSignatures(client: HubClient, repository: string, reference: string, artifact: (digest: string) => string): Promise<FoundSignature[]> {
  const manifest = await fetchManifest(client, repository, reference);
  // The layers' annotations carry the signatures; the parsed form keeps only descriptors.
  const { layers = [] } = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as { layers?: (Descriptor & { annotations?: Record<string, string> })[] };
  const found: FoundSignature[] = [];
  for (const layer of layers.filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE)) {
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (signature === undefined) continue;
    found.push({ format: 'simple-signing', artifact: artifact(manifest.digest), payload: await fetchBlobBytes(client, repository, layer), signature });
  }
  return found;
}

/** cosign's legacy signatures of `digest`: the manifest tagged `sha256-<hex>.sig`, when there is one. */
async function legacySignaturesOf(client: HubClient, repository: string, digest: string): Promise<FoundSignature[]> {
  const tag = `${digest.replace(':', '-')}.sig`;
  try {
    return await simpleSignatures(client, repository, tag, (d) => `${d} (tag ${tag})`);
  } catch (err) {
    if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return [];
    throw err;
  }
}

/** cosign's simple signatures pushed as OCI 1.1 referrers (`--registry-referrers-mode=oci-1-1`). */
async function referredSimpleSignaturesOf(client: HubClient, repository: string, digest: string): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const referrer of await listReferrers(client, repository, digest, COSIGN_SIGNATURE_ARTIFACT_TYPE)) {
    found.push(...(await simpleSignatures(client, repository, referrer.digest, (d) => d)));
  }
  return found;
}

/**
 * Every signature the Hub holds for the image `digest` in `repository`: bundles and cosign's
 * simple signatures listed by the referrers API, then cosign's legacy `.sig` tag.
 *
 * @example
 * for (const s of await findSignatures(client, 'team/app', digest)) console.log(s.format, s.artifact);
 */
export async function findSignatures(client: HubClient, repository: string, digest: string): Promise<FoundSignature[]> {
  return [...(await bundlesOf(client, repository, digest)), ...(await referredSimpleSignaturesOf(client, repository, digest)), ...(await legacySignaturesOf(client, repository, digest))];
}
