/**
 * Who may do what to a repository: pure rules over an identity and the facts of the repository's
 * namespace. Every check of the Hub (token requests, Basic requests, the API) ends here.
 */
import type { RobotPermission } from '../db/schema.ts';
import type { RepositoryAction } from './scopes.ts';

export type Role = 'owner' | 'maintainer' | 'developer' | 'reader';
export const ROLES: readonly Role[] = ['reader', 'developer', 'maintainer', 'owner'];
export type DeletePolicy = 'developer' | 'maintainer' | 'owner' | 'admin';
export const DELETE_POLICIES: readonly DeletePolicy[] = ['developer', 'maintainer', 'owner', 'admin'];
export type Visibility = 'public' | 'private';

/** Who is asking: a person, a robot, or nobody in particular. */
export interface Identity {
  name: string;
  kind: 'user' | 'robot' | 'anonymous';
  admin: boolean;
  /** Robots only. */
  permissions?: RobotPermission[];
  /** Robots only: who created it; a robot never holds more than its creator holds now. */
  createdBy?: string;
}

export const ANONYMOUS: Identity = { name: 'anonymous', kind: 'anonymous', admin: false };

/** What the Hub knows of a namespace, seen by one identity; undefined when it does not exist yet. */
export interface NamespaceFacts {
  visibility: Visibility;
  deletePolicy: DeletePolicy;
  immutableTags: boolean;
  /** The identity's role there, if it is a member. */
  role?: Role;
}

/** The namespace of a repository: its first path segment (`team` for `team/app/api`). */
export function namespaceOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(0, slash);
}

const rank = (role: Role | 'admin'): number => (role === 'admin' ? ROLES.length : ROLES.indexOf(role));

/**
 * Every action `identity` may take on `repository`.
 *
 * @example
 * allowedActions({ name: 'ann', kind: 'user', admin: false }, 'team/app', { visibility: 'private', deletePolicy: 'maintainer', immutableTags: false, role: 'developer' });
 * // Set { 'pull', 'push' }
 */
export function allowedActions(identity: Identity, repository: string, namespace: NamespaceFacts | undefined): Set<RepositoryAction> {
  const allowed = new Set<RepositoryAction>();
  if (identity.admin) return new Set(['pull', 'push', 'delete']);
  if (namespace?.visibility === 'public') allowed.add('pull');

  if (identity.kind === 'robot') {
    for (const permission of identity.permissions ?? []) {
      if (!repositoryMatches(permission.repository, repository)) continue;
      for (const action of permission.actions) allowed.add(action);
    }
    // A robot is no member: it deletes only where members below owner may.
    const deletePolicy = namespace?.deletePolicy ?? 'maintainer';
    if (deletePolicy === 'owner' || deletePolicy === 'admin') allowed.delete('delete');
    return allowed;
  }

  if (identity.kind === 'user') {
    // A user's own namespace is theirs before it exists: the first push creates it.
    const role: Role | undefined = namespace ? namespace.role : namespaceOf(repository) === identity.name ? 'owner' : undefined;
    if (role) {
      allowed.add('pull');
      if (rank(role) >= rank('developer')) allowed.add('push');
      const deletePolicy = namespace?.deletePolicy ?? 'maintainer';
      if (deletePolicy !== 'admin' && rank(role) >= rank(deletePolicy)) allowed.add('delete');
    }
  }
  return allowed;
}

/** May `identity` change a namespace's settings and members? Owners and admins may. */
export function canManageNamespace(identity: Identity, namespace: NamespaceFacts | undefined): boolean {
  return identity.admin || (identity.kind === 'user' && namespace?.role === 'owner');
}

/** A robot permission names one repository, or every repository under a prefix ending in `/*`, or `*` for all. */
export function repositoryMatches(pattern: string, repository: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1));
  return pattern === repository;
}
