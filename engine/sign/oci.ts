/**
 * Signatures in a registry: pushing a Sigstore bundle as an OCI 1.1 referrer of the image (the
 * layout cosign's bundle format uses), and finding an image's signatures again — bundles through
 * the referrers API, and cosign's legacy signatures under the tag `sha256-<hex>.sig`. Finding
 * reads through a {@link SignatureSource}: the Hub client for the CLI, the registry itself for
 * the Hub's trust policies, so both see signatures the same way.
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

/** A manifest as signature discovery needs it: its digest and exact bytes. */
export interface SourceManifest {
  digest: string;
  bytes: Uint8Array;
}

/** Where signatures are read from: one repository of a registry. */
export interface SignatureSource {
  /** The referrers of `digest` whose artifact type is `artifactType`. */
  referrers(digest: string, artifactType: string): Promise<{ digest: string }[]>;
  /** A manifest by tag or digest; undefined when there is none. */
  manifest(reference: string): Promise<SourceManifest | undefined>;
  /** A small blob's bytes, checked against its digest. */
  blob(descriptor: Descriptor): Promise<Uint8Array>;
}

/**
 * A {@link SignatureSource} reading `repository` through the Hub client.
 *
 * @example
 * await findSignatures(clientSource(client, 'team/app'), digest);
 */
export function clientSource(client: HubClient, repository: string): SignatureSource {
  return {
    referrers: (digest, artifactType) => listReferrers(client, repository, digest, artifactType),
    async manifest(reference) {
      try {
        const { digest, bytes } = await fetchManifest(client, repository, reference);
        return { digest, bytes };
      } catch (err) {
        if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined;
        throw err;
      }
    },
    blob: (descriptor) => fetchBlobBytes(client, repository, descriptor),
  };
}

/** A manifest's layers with their annotations (which carry cosign's signatures), and its annotations. */
function manifestJson(manifest: SourceManifest): { layers: (Descriptor & { annotations?: Record<string, string> })[]; annotations?: Record<string, string> } {
  const parsed = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as { layers?: (Descriptor & { annotations?: Record<string, string> })[]; annotations?: Record<string, string> };
  return { layers: Array.isArray(parsed.layers) ? parsed.layers : [], ...(parsed.annotations ? { annotations: parsed.annotations } : {}) };
}

/** The Sigstore bundles referring to `digest`: each referrer's bundle layer. */
async function bundlesOf(source: SignatureSource, digest: string): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const referrer of await source.referrers(digest, BUNDLE_MEDIA_TYPE)) {
    const manifest = await source.manifest(referrer.digest);
    if (!manifest) continue;
    const { layers, annotations } = manifestJson(manifest);
    const created = annotations?.['org.opencontainers.image.created'];
    for (const layer of layers.filter((l) => l.mediaType === BUNDLE_MEDIA_TYPE)) {
      found.push({ format: 'bundle', artifact: referrer.digest, ...(created ? { created } : {}), bundle: await source.blob(layer) });
    }
  }
  return found;
}

/** The simple-signing layers of a cosign signature manifest, each with its signature annotation. */
async function simpleSignatures(source: SignatureSource, manifest: SourceManifest, artifact: string): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const layer of manifestJson(manifest).layers.filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE)) {
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (signature === undefined) continue;
    found.push({ format: 'simple-signing', artifact, payload: await source.blob(layer), signature });
  }
  return found;
}

/** cosign's legacy signatures of `digest`: the manifest tagged `sha256-<hex>.sig`, when there is one. */
async function legacySignaturesOf(source: SignatureSource, digest: string): Promise<FoundSignature[]> {
  const tag = `${digest.replace(':', '-')}.sig`;
  const manifest = await source.manifest(tag);
  return manifest ? simpleSignatures(source, manifest, `${manifest.digest} (tag ${tag})`) : [];
}

/** cosign's simple signatures pushed as OCI 1.1 referrers (`--registry-referrers-mode=oci-1-1`). */
async function referredSimpleSignaturesOf(source: SignatureSource, digest: string): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const referrer of await source.referrers(digest, COSIGN_SIGNATURE_ARTIFACT_TYPE)) {
    const manifest = await source.manifest(referrer.digest);
    if (manifest) found.push(...(await simpleSignatures(source, manifest, referrer.digest)));
  }
  return found;
}

/**
 * Every signature `source` holds for the image `digest`: bundles and cosign's simple signatures
 * listed by the referrers API, then cosign's legacy `.sig` tag.
 *
 * @example
 * for (const s of await findSignatures(clientSource(client, 'team/app'), digest)) console.log(s.format, s.artifact);
 */
export async function findSignatures(source: SignatureSource, digest: string): Promise<FoundSignature[]> {
  return [...(await bundlesOf(source, digest)), ...(await referredSimpleSignaturesOf(source, digest)), ...(await legacySignaturesOf(source, digest))];
}
