/**
 * The Hub's catalog API through a {@link HubClient}: repositories with what a person wants to
 * know about them (tags, size, last push, signatures, vulnerabilities) and their tags in detail,
 * searched, sorted and paged by the Hub. The web catalog's Explore and Repository pages read
 * these; so can any client.
 */
import type { HubClient } from './client.ts';
import type { SeverityCounts } from './scans.ts';

/** How a tag's (or repository's latest) signatures stand under the production trust policy. */
export interface SignatureSummary {
  /** Signatures and attestations attached (referrers or cosign `.sig`/`.att` tags). */
  count: number;
  /** `valid`: meets the namespace's production policy; `untrusted`: signed, but not by whom the policy names (or there is no policy); `invalid`: a signature does not verify; `unsigned`. */
  status: 'valid' | 'untrusted' | 'invalid' | 'unsigned';
  /** Who signed, as the Hub verified them (key names or keyless identities). */
  signers: string[];
}

/** The latest scan of an image (for an index: its images' counts summed). */
export interface VulnerabilitySummary {
  status: 'pending' | 'done' | 'failed';
  counts: SeverityCounts;
}

/** What a tag points at: its kind and what it holds. */
export interface TagSummary {
  name: string;
  digest: string;
  mediaType: string;
  /** `image`: an image manifest; `index`: an index (multi-platform); `artifact`: anything else (an artifactType, or a non-image config). */
  type: 'image' | 'index' | 'artifact';
  artifactType?: string;
  /** `os/arch[/variant]` of the image, or of each image an index lists. */
  platforms: string[];
  /** Bytes: the manifest, its config and layers (an index: itself plus its images'). */
  size: number;
  /** When the tag last moved to this manifest (ISO 8601). */
  pushedAt: string;
  signatures: SignatureSummary;
  /** Null when the manifest is not scanned (artifacts, or not yet queued). */
  vulnerabilities: VulnerabilitySummary | null;
  /** The Hub or the build attached an SBOM as a referrer. */
  sbom: boolean;
}

/** A repository, as a card shows it. */
export interface RepositorySummary {
  name: string;
  namespace: string;
  tagCount: number;
  /** The newest tag push (ISO 8601), null for a repository without tags. */
  lastPushedAt: string | null;
  /** Bytes stored for the repository: every blob linked to it, counted once, plus its manifests. */
  totalSize: number;
  /** The most recently pushed tag, with its signatures and vulnerabilities; null without tags. */
  latest: TagSummary | null;
}

/** A repository's description, from an annotation or a README artifact in the repository. */
export interface RepositoryDescription {
  /** `annotation`: `org.opencontainers.image.description` of the latest tag's manifest (or its config label); `readme`: the newest artifact of artifactType `text/markdown`, or whose one layer is `text/markdown` (a README pushed with `oras push … README.md:text/markdown`); its text, cut at 64 KiB with a last line saying so. */
  source: 'annotation' | 'readme';
  format: 'text' | 'markdown';
  /** At most 64 KiB, untrusted: render it escaped. */
  text: string;
}

export interface RepositoryDetails extends RepositorySummary {
  description: RepositoryDescription | null;
  /** What the asking account may do here (from its role), so that pages offer only what will work. */
  actions: ('pull' | 'push' | 'delete')[];
}

export const REPOSITORY_SORTS = ['pushed', 'name', 'size'] as const;
export type RepositorySort = (typeof REPOSITORY_SORTS)[number];

export interface RepositoryQuery {
  /** Part of the name, any case. */
  q?: string;
  namespace?: string;
  /** `pushed` (newest first, the default), `name` (A→Z) or `size` (largest first). */
  sort?: RepositorySort;
  /** 1–100, default 24. */
  limit?: number;
  offset?: number;
}

export interface RepositoryPage {
  /** How many repositories match, over all pages. */
  total: number;
  repositories: RepositorySummary[];
}

export const TAG_SORTS = ['pushed', 'name', 'size'] as const;
export type TagSort = (typeof TAG_SORTS)[number];

export interface TagQuery {
  /** Part of the tag name, any case. */
  q?: string;
  /** `pushed` (the default), `name` or `size`. */
  sort?: TagSort;
  /** Default: `desc` for pushed and size, `asc` for name. */
  order?: 'asc' | 'desc';
  /** 1–100, default 25. */
  limit?: number;
  offset?: number;
}

export interface TagPage {
  total: number;
  tags: TagSummary[];
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  return search.size > 0 ? `?${search.toString()}` : '';
}

/**
 * Repositories the client may pull, searched and sorted (`GET /api/v1/repositories`).
 *
 * @example
 * const { total, repositories } = await searchRepositories(client, { q: 'app', sort: 'name' });
 */
export function searchRepositories(client: HubClient, options: RepositoryQuery = {}): Promise<RepositoryPage> {
  return client.api<RepositoryPage>('GET', `/api/v1/repositories${query({ ...options })}`);
}

/**
 * One repository with its description and the client's actions (`GET /api/v1/repositories/NAME`).
 *
 * @example
 * const repo = await fetchRepository(client, 'team/app');
 */
export function fetchRepository(client: HubClient, name: string): Promise<RepositoryDetails> {
  return client.api<RepositoryDetails>('GET', `/api/v1/repositories/${name}`);
}

/**
 * A page of a repository's tags in detail (`GET /api/v1/repositories/NAME/tags`).
 *
 * @example
 * const { tags } = await listTagDetails(client, 'team/app', { sort: 'name', limit: 50 });
 */
export function listTagDetails(client: HubClient, name: string, options: TagQuery = {}): Promise<TagPage> {
  return client.api<TagPage>('GET', `/api/v1/repositories/${name}/tags${query({ ...options })}`);
}
