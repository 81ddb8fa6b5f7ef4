/**
 * Every link of the web catalog is built here, under one base path: pages never write `/ui/…`
 * by hand, so the catalog can move (or sit behind a proxy prefix) by changing {@link UI_BASE}.
 */

/** Where the Hub mounts the catalog. */
export const UI_BASE = '/ui';

export type Query = Record<string, string | number | boolean | undefined | null>;

/**
 * A catalog URL: `path` below the base, with `query` values that are set (empty ones dropped).
 *
 * @example
 * ui('/explore', { q: 'app', page: 2 }); // '/ui/explore?q=app&page=2'
 */
export function ui(path = '/', query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    search.set(key, String(value));
  }
  const suffix = search.size > 0 ? `?${search.toString()}` : '';
  return `${UI_BASE}${path.startsWith('/') ? path : `/${path}`}${suffix}`;
}

/** Repository names hold slashes; each segment is encoded, the slashes are kept. */
function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/**
 * The page of a repository.
 *
 * @example
 * repositoryUrl('team/app'); // '/ui/r/team/app'
 */
export function repositoryUrl(name: string, query: Query = {}): string {
  return ui(`/r/${encodeName(name)}`, query);
}

/** The artifact tabs, in the order the page shows them. */
export const ARTIFACT_TABS = ['overview', 'layers', 'referrers', 'sbom', 'vulnerabilities', 'dependencies', 'manifest'] as const;
export type ArtifactTab = (typeof ARTIFACT_TABS)[number];

/**
 * The page of one artifact (by tag or digest), on one tab; `/-/` separates the repository name
 * (which may hold slashes) from the reference.
 *
 * @example
 * artifactUrl('team/app', 'v1', 'layers'); // '/ui/r/team/app/-/v1/layers'
 */
export function artifactUrl(name: string, reference: string, tab: ArtifactTab = 'overview', query: Query = {}): string {
  const path = `/r/${encodeName(name)}/-/${encodeURIComponent(reference)}`;
  return ui(tab === 'overview' ? path : `${path}/${tab}`, query);
}

/**
 * A repository and a reference written together: `name:tag`, or `name@digest`.
 *
 * @example
 * referenceName('team/app', 'v1'); // 'team/app:v1'
 */
export function referenceName(name: string, reference: string): string {
  return `${name}${reference.includes(':') ? '@' : ':'}${reference}`;
}

/** The `docker pull` form of a reference on this Hub (`host/name:tag` or `host/name@digest`). */
export function pullReference(host: string, name: string, reference: string): string {
  return `${host}/${referenceName(name, reference)}`;
}

/** The confirmation page (GET) and action (POST) that delete a tag. */
export function tagDeleteUrl(name: string, tag: string): string {
  return `${artifactUrl(name, tag)}/delete`;
}

/**
 * The page comparing an image's recorded runtime policies with what each environment enforces.
 *
 * @example
 * compareUrl('team/app', 'sha256:ab'); // '/ui/policies/compare?repository=team%2Fapp&reference=sha256%3Aab'
 */
export function compareUrl(repository: string, reference: string): string {
  return ui('/policies/compare', { repository, reference });
}
