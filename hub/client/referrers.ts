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

/** One signature as the Hub reports it under a trust policy. */
export interface SignatureStatusEntry {
  format: 'bundle' | 'simple-signing';
  artifact: string;
  created?: string;
  kind: 'signature' | 'attestation';
  status: 'valid' | 'untrusted' | 'invalid';
  signer?: string;
  reason?: string;
  predicateType?: string;
}

/** An image's signatures checked by the Hub against its namespace's policy for an environment. */
export interface SignatureStatus {
  repository: string;
  digest: string;
  environment: string;
  policy: { namespace: string; environment: string; mode: string; required: number; version: number } | null;
  valid: boolean | null;
  signatures: SignatureStatusEntry[];
}

/**
 * Asks the Hub how the image `digest` in `repository` stands under its namespace's trust policy
 * for `environment` (`GET /api/v1/repositories/…/signatures`).
 *
 * @example
 * const { valid, signatures } = await fetchSignatureStatus(client, 'team/app', digest, 'production');
 */
export function fetchSignatureStatus(client: HubClient, repository: string, digest: string, environment: string): Promise<SignatureStatus> {
  return client.api<SignatureStatus>('GET', `/api/v1/repositories/${repository}/manifests/${digest}/signatures?environment=${encodeURIComponent(environment)}`);
}
