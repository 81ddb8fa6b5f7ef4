/**
 * The Hub's dependency graph (`/api/v1/repositories/NAME/manifests/REF/…`) as typed calls over
 * a {@link HubClient}: what an image is built on, what is built on it, and what to rebuild when
 * a base moves or has fixable vulnerabilities.
 */
import type { HubClient } from './client.ts';

/** How a base was found: named by the build's annotations, or shown by shared layers. */
export type BaseEvidence = 'annotation' | 'layers';

export interface ImageNode {
  repository: string;
  digest: string;
  tags: string[];
}

export interface BaseImage extends ImageNode {
  via: BaseEvidence;
  /** Bottom layers shared with the base; null when its stack is unknown (an index). */
  layerCount: number | null;
}

/** `GET …/dependencies` */
export interface Dependencies {
  repository: string;
  digest: string;
  base: BaseImage | null;
  /** The base, its base, … up to the root. */
  bases: BaseImage[];
  /** When the manifest is an index: what it lists. */
  children: { repository: string; digest: string; mediaType: string; platform?: string }[];
  /** The indexes that list it. */
  indexes: ImageNode[];
  /** When it is a referrer: the manifest it refers to. */
  subject: (ImageNode & { present: boolean }) | null;
  /** How many referrers it has. */
  referrers: number;
  /** Artifacts the build pinned (`dev.nocker.dependencies`). */
  artifacts: { reference: string; host?: string; repository: string; tag?: string; digest: string }[];
}

export interface DependentImage extends ImageNode {
  via: BaseEvidence;
  depth: number;
  base: { repository: string; digest: string };
}

/** `GET …/dependents` */
export interface Dependents {
  repository: string;
  digest: string;
  transitive: boolean;
  dependents: DependentImage[];
}

/** `GET …/rebuild-plan` */
export interface RebuildPlan {
  base: { repository: string; tag?: string; digest: string; tags: string[]; fixableVulnerabilities: string[] };
  images: (ImageNode & { reasons: string[] })[];
}

const path = (repository: string, reference: string, what: string) => `/api/v1/repositories/${repository}/manifests/${reference}/${what}`;

/**
 * @example
 * const { bases } = await fetchDependencies(client, 'team/app', 'v1');
 */
export function fetchDependencies(client: HubClient, repository: string, reference: string): Promise<Dependencies> {
  return client.api<Dependencies>('GET', path(repository, reference, 'dependencies'));
}

/**
 * @example
 * const { dependents } = await fetchDependents(client, 'library/debian', '12', { transitive: true });
 */
export function fetchDependents(client: HubClient, repository: string, reference: string, options: { transitive?: boolean } = {}): Promise<Dependents> {
  return client.api<Dependents>('GET', `${path(repository, reference, 'dependents')}${options.transitive ? '?transitive=1' : ''}`);
}

/**
 * @example
 * const { images } = await fetchRebuildPlan(client, 'library/debian', '12');
 */
export function fetchRebuildPlan(client: HubClient, repository: string, reference: string): Promise<RebuildPlan> {
  return client.api<RebuildPlan>('GET', path(repository, reference, 'rebuild-plan'));
}
