import { describe, expect, it } from 'vitest';
import { OciError } from '../oci/errors.ts';
import { thrownBy } from '../oci/thrown.ts';
import { parsePermissions } from './robots.ts';

describe('parsePermissions', () => {
  it('takes repositories, prefixes and * with known actions, dropping repeated ones', () => {
    expect(parsePermissions([{ repository: 'team/*', actions: ['pull', 'push', 'pull'] }, { repository: 'team/app', actions: ['delete'] }, { repository: '*', actions: ['pull'] }])).toEqual([
      { repository: 'team/*', actions: ['pull', 'push'] },
      { repository: 'team/app', actions: ['delete'] },
      { repository: '*', actions: ['pull'] },
    ]);
  });

  it('refuses what it cannot grant, naming the entry', () => {
    const cases: [unknown[], RegExp][] = [
      [[], /at least one permission/],
      [[{ repository: 'Team/App', actions: ['pull'] }], /permissions\[0\]\.repository/],
      [[{ repository: 'team/**', actions: ['pull'] }], /permissions\[0\]\.repository/],
      [[{ repository: 'team/app', actions: [] }], /permissions\[0\]\.actions/],
      [[{ repository: 'team/app', actions: ['pull'] }, { repository: 'team/app', actions: ['admin'] }], /permissions\[1\]\.actions/],
      [['team/app:pull'], /permissions\[0\]\.repository/],
    ];
    for (const [list, message] of cases) {
      const err = thrownBy(() => parsePermissions(list), OciError);
      expect(err.code).toBe('REQUEST_INVALID');
      expect(err.message).toMatch(message);
    }
  });
});
