/** Reading the `--access` of `nocker hub robot create`. */
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../hub/oci/thrown.ts';
import { UsageError } from '../usage.ts';
import { parseAccess } from './robots.ts';

describe('parseAccess', () => {
  it('reads repository patterns and actions', () => {
    expect(parseAccess('team/*:pull,push')).toEqual({ repository: 'team/*', actions: ['pull', 'push'] });
    expect(parseAccess('team/app:pull')).toEqual({ repository: 'team/app', actions: ['pull'] });
    expect(parseAccess('*:pull')).toEqual({ repository: '*', actions: ['pull'] });
    expect(parseAccess('app:push,pull,push,delete')).toEqual({ repository: 'app', actions: ['push', 'pull', 'delete'] });
  });

  it('refuses what is not REPOSITORY:ACTIONS', () => {
    const cases: [string, RegExp][] = [
      ['team/*', /expected REPOSITORY:ACTIONS/],
      [':pull', /expected REPOSITORY:ACTIONS/],
      ['team/*:', /no actions/],
      ['team/*: , ', /no actions/],
      ['team/*:pull,sing', /"sing" is not an action; use pull, push, delete/],
      ['Team/App:pull', /not a valid repository name/],
      ['**:pull', /not a valid repository name/],
      ['team*:pull', /not a valid repository name/],
      ['team/*/x:pull', /not a valid repository name/],
    ];
    for (const [text, message] of cases) expect(thrownBy(() => parseAccess(text), UsageError).message).toMatch(message);
  });
});
