/**
 * The referrers API through a {@link HubClient}: the artifacts (signatures, attestations,
 * build logs) whose `subject` is a given manifest.
 */
import type { HubClient } from './client.ts';
import { errorFromResponse } from './errors.ts';
import { OciError } from '../oci/errors.ts';

/** One referrer as the index lists it. */
export interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * Lists the referrers of `digest` in `repository`, only those of `artifactType` when given (the
 * Hub filters; entries of other types are dropped here too, for Hubs that do not).
 *
 * @example
 * const signatures = await listReferrers(client, 'team/app', digest, 'application/vnd.dev.sigstore.bundle.v0.3+json');
 */
export async function listReferrers(client: HubClient, repository: string, digest: string, artifactType?: string, signal?: AbortSignal): Promise<Referrer[]> {
  const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
  const path = `/v2/${repository}/referrers/${digest}${query}`;
  const res = await client.v2('GET', path, { signal });
  if (!res.ok) throw await errorFromResponse(res, `GET ${path}`);
  const body = (await res.json()) as { manifests?: unknown };
  if (!Array.isArray(body.manifests)) throw new OciError('UNSUPPORTED', `GET ${path}: the answer is not an image index`);
  const referrers = body.manifests as Referrer[];
  return artifactType === undefined ? referrers : referrers.filter((r) => r.artifactType === artifactType);
}
