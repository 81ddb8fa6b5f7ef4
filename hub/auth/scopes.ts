/**
 * The Docker token scope grammar: `type:name:actions`, e.g. `repository:team/app:pull,push` or
 * `registry:catalog:*`. The same entries make up a token's `access` claim.
 */

export type RepositoryAction = 'pull' | 'push' | 'delete';

/** One granted (or requested) resource: what a token's `access` claim lists. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** The resource every `/api/v1` request needs in a bearer token. */
export const API_SCOPE: AccessEntry = { type: 'registry', name: 'api', actions: ['*'] };
/** The resource `GET /v2/_catalog` needs. */
export const CATALOG_SCOPE: AccessEntry = { type: 'registry', name: 'catalog', actions: ['*'] };

/**
 * Parses one scope; undefined when it does not follow the grammar. The name sits between the
 * first and the last colon, since a name may itself hold one (`localhost:5000/app`).
 *
 * @example
 * parseScope('repository:team/app:pull,push'); // { type: 'repository', name: 'team/app', actions: ['pull', 'push'] }
 */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first + 1) return undefined;
  // `repository(plugin):…` names a resource class; the class does not change what is granted.
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = [...new Set(scope.slice(last + 1).split(',').map((a) => a.trim()).filter(Boolean))];
  if (!/^[a-z]+$/.test(type) || actions.length === 0) return undefined;
  return { type, name, actions };
}

/** `scope` query values as clients send them: several parameters, or several scopes in one separated by spaces. */
export function parseScopes(values: string[]): AccessEntry[] {
  return values.flatMap((value) => value.split(' ')).flatMap((scope) => parseScope(scope) ?? []);
}

export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/** True when `access` grants `action` on the resource, directly or through `*`. */
export function grants(access: readonly AccessEntry[], type: string, name: string, action: string): boolean {
  return access.some((entry) => entry.type === type && entry.name === name && (entry.actions.includes(action) || entry.actions.includes('*')));
}
