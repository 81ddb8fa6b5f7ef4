/**
 * The Hub's resolve endpoint through a {@link HubClient}: the highest tag of a repository that
 * satisfies a semantic version range, and the digest it points at.
 */
import type { HubClient } from './client.ts';

/** A range resolved by the Hub. */
export interface RangeResolution {
  repository: string;
  /** The range as the Hub read it (trimmed). */
  range: string;
  tag: string;
  digest: string;
  mediaType: string;
}

/**
 * Asks the Hub for the highest tag of `repository` satisfying `range` (`^1.2`, `>=1.2 <2`, `1.x`).
 * Rejects with the Hub's error: MANIFEST_UNKNOWN naming the tags there when none satisfies,
 * REQUEST_INVALID for a range that is not one, NAME_UNKNOWN for a repository that does not exist.
 *
 * @example
 * const { tag, digest } = await resolveRange(client, 'libs/runtime', '^1.2'); // '1.2.5', 'sha256:…'
 */
export async function resolveRange(client: HubClient, repository: string, range: string): Promise<RangeResolution> {
  return client.api<RangeResolution>('GET', `/api/v1/repositories/${repository}/resolve?range=${encodeURIComponent(range)}`);
}
