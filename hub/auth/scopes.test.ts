import { describe, expect, it } from 'vitest';
import { formatScope, grants, parseScope, parseScopes } from './scopes.ts';

describe('scopes', () => {
  it('parses repository and registry scopes', () => {
    expect(parseScope('repository:team/app:pull,push')).toEqual({ type: 'repository', name: 'team/app', actions: ['pull', 'push'] });
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
  });

  it('keeps a colon inside the name and drops a resource class', () => {
    expect(parseScope('repository:localhost:5000/app:pull')?.name).toBe('localhost:5000/app');
    expect(parseScope('repository(plugin):app:pull')?.type).toBe('repository');
  });

  it('refuses what does not follow the grammar', () => {
    for (const bad of ['', 'repository', 'repository:app', ':app:pull', 'repository::pull', 'repository:app:', 'Repo:app:pull']) {
      expect(parseScope(bad), bad).toBeUndefined();
    }
  });

  it('splits space-separated scopes and drops duplicates of an action', () => {
    expect(parseScopes(['repository:a:pull repository:b:push,push']).map(formatScope)).toEqual(['repository:a:pull', 'repository:b:push']);
  });

  it('grants an action listed or covered by *', () => {
    const access = [
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ];
    expect(grants(access, 'repository', 'a', 'pull')).toBe(true);
    expect(grants(access, 'repository', 'a', 'push')).toBe(false);
    expect(grants(access, 'repository', 'b', 'pull')).toBe(false);
    expect(grants(access, 'registry', 'catalog', '*')).toBe(true);
  });
});
