/**
 * An image's SBOM through a {@link HubClient}: the referrer of the format's artifact type,
 * preferably the one the Hub made when it scanned the image, and the document it carries.
 */
import { OciError } from '../oci/errors.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { SBOM_FORMATS, SBOM_GENERATOR, SBOM_GENERATOR_ANNOTATION, type SbomFormat } from '../scanning/sbom/media-types.ts';
import type { HubClient } from './client.ts';
import { fetchBlobBytes, fetchManifest } from './pull.ts';
import { listReferrers, type Referrer } from './referrers.ts';

/**
 * An SBOM as fetched: the referrer manifest that carries it and the document's exact bytes.
 *
 * @example
 * const sbom: FetchedSbom | undefined = await fetchSbom(client, 'team/app', digest, 'spdx');
 */
export interface FetchedSbom {
  referrer: Referrer;
  /** The layer holding the document. */
  layer: Descriptor;
  document: Uint8Array;
}

/** The most bytes an SBOM may have to be fetched (as the Hub reads at most this much of one). */
export const MAX_SBOM_FETCH_BYTES = 32 * 1024 * 1024;

/**
 * Picks the SBOM to show among an image's referrers of one format: the Hub's own (marked by its
 * generator annotation) first, else any; the most recent of those, as the referrers list in
 * push order.
 *
 * @example
 * const chosen = chooseSbomReferrer(await listReferrers(client, 'team/app', digest, 'application/spdx+json'));
 */
export function chooseSbomReferrer(referrers: readonly Referrer[]): Referrer | undefined {
  const hubMade = referrers.filter((r) => r.annotations?.[SBOM_GENERATOR_ANNOTATION] === SBOM_GENERATOR);
  const candidates = hubMade.length > 0 ? hubMade : referrers;
  return candidates[candidates.length - 1];
}

/**
 * Fetches the `format` SBOM of the image `digest` in `repository`, or undefined when it has
 * none: its referrers of that artifact type, the chosen manifest, and the one layer of the
 * format's media type (else its only layer), checked against its digest.
 *
 * @example
 * const sbom = await fetchSbom(client, 'team/app', digest, 'cyclonedx');
 * if (sbom) process.stdout.write(Buffer.from(sbom.document));
 */
export async function fetchSbom(client: HubClient, repository: string, digest: string, format: SbomFormat, signal?: AbortSignal): Promise<FetchedSbom | undefined> {
  const { artifactType } = SBOM_FORMATS[format];
  const referrer = chooseSbomReferrer(await listReferrers(client, repository, digest, artifactType, signal));
  if (!referrer) return undefined;
  const manifest = await fetchManifest(client, repository, referrer.digest, signal);
  const { layers = [] } = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as { layers?: Descriptor[] };
  const layer = layers.find((l) => l.mediaType === artifactType) ?? (layers.length === 1 ? layers[0] : undefined);
  if (!layer) throw new OciError('MANIFEST_INVALID', `the ${format} SBOM ${referrer.digest} of ${repository}@${digest} has no layer of type ${artifactType}`);
  if (layer.size > MAX_SBOM_FETCH_BYTES) throw new OciError('SIZE_INVALID', `the ${format} SBOM ${referrer.digest} is ${layer.size} bytes, more than ${MAX_SBOM_FETCH_BYTES}`);
  return { referrer, layer, document: await fetchBlobBytes(client, repository, layer, signal) };
}
