import { describe, expect, it } from 'vitest';
import { allowedActions, ANONYMOUS, canManageNamespace, namespaceOf, repositoryMatches, type Identity, type NamespaceFacts } from './permissions.ts';

const user = (name: string, admin = false): Identity => ({ name, kind: 'user', admin });
const ns = (facts: Partial<NamespaceFacts> = {}): NamespaceFacts => ({ visibility: 'private', deletePolicy: 'maintainer', immutableTags: false, ...facts });
const actions = (set: Set<string>) => [...set].sort();

describe('allowedActions', () => {
  it('gives each role its actions', () => {
    expect(actions(allowedActions(user('u'), 'team/app', ns({ role: 'reader' })))).toEqual(['pull']);
    expect(actions(allowedActions(user('u'), 'team/app', ns({ role: 'developer' })))).toEqual(['pull', 'push']);
    expect(actions(allowedActions(user('u'), 'team/app', ns({ role: 'maintainer' })))).toEqual(['delete', 'pull', 'push']);
    expect(actions(allowedActions(user('u'), 'team/app', ns({ role: 'owner' })))).toEqual(['delete', 'pull', 'push']);
  });

  it('lets strangers and anonymous pull public namespaces only', () => {
    expect(actions(allowedActions(user('u'), 'team/app', ns()))).toEqual([]);
    expect(actions(allowedActions(ANONYMOUS, 'team/app', ns()))).toEqual([]);
    expect(actions(allowedActions(ANONYMOUS, 'team/app', ns({ visibility: 'public' })))).toEqual(['pull']);
    expect(actions(allowedActions(user('u'), 'team/app', ns({ visibility: 'public' })))).toEqual(['pull']);
  });

  it('follows the delete policy', () => {
    expect(allowedActions(user('u'), 'a/b', ns({ role: 'maintainer', deletePolicy: 'owner' })).has('delete')).toBe(false);
    expect(allowedActions(user('u'), 'a/b', ns({ role: 'owner', deletePolicy: 'owner' })).has('delete')).toBe(true);
    expect(allowedActions(user('u'), 'a/b', ns({ role: 'owner', deletePolicy: 'admin' })).has('delete')).toBe(false);
    expect(allowedActions(user('u'), 'a/b', ns({ role: 'developer', deletePolicy: 'developer' })).has('delete')).toBe(true);
    expect(allowedActions(user('root', true), 'a/b', ns({ deletePolicy: 'admin' })).has('delete')).toBe(true);
  });

  it('gives a user their own namespace before it exists, and nobody else one', () => {
    expect(actions(allowedActions(user('ann'), 'ann/app', undefined))).toEqual(['delete', 'pull', 'push']);
    expect(actions(allowedActions(user('ann'), 'bob/app', undefined))).toEqual([]);
    expect(actions(allowedActions(user('ann'), 'annex/app', undefined))).toEqual([]);
  });

  it('gives robots exactly their permissions', () => {
    const robot: Identity = { name: 'robot$ci', kind: 'robot', admin: false, permissions: [{ repository: 'team/*', actions: ['pull', 'push', 'delete'] }] };
    expect(actions(allowedActions(robot, 'team/app', ns()))).toEqual(['delete', 'pull', 'push']);
    expect(actions(allowedActions(robot, 'team/app', ns({ deletePolicy: 'owner' })))).toEqual(['pull', 'push']);
    expect(actions(allowedActions(robot, 'other/app', ns()))).toEqual([]);
    expect(actions(allowedActions(robot, 'teamx/app', ns()))).toEqual([]);
  });
});

describe('repositoryMatches', () => {
  it('matches exact names, prefixes and everything', () => {
    expect(repositoryMatches('team/app', 'team/app')).toBe(true);
    expect(repositoryMatches('team/app', 'team/app2')).toBe(false);
    expect(repositoryMatches('team/*', 'team/a/b')).toBe(true);
    expect(repositoryMatches('team/*', 'team')).toBe(false);
    expect(repositoryMatches('*', 'x')).toBe(true);
  });
});

describe('namespaces', () => {
  it('is the first path segment', () => {
    expect(namespaceOf('team/app/api')).toBe('team');
    expect(namespaceOf('busybox')).toBe('busybox');
  });

  it('lets owners and admins manage', () => {
    expect(canManageNamespace(user('u'), ns({ role: 'owner' }))).toBe(true);
    expect(canManageNamespace(user('u'), ns({ role: 'maintainer' }))).toBe(false);
    expect(canManageNamespace(user('root', true), undefined)).toBe(true);
  });
});
