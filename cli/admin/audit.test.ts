/** Audit entries on one line. */
import { describe, expect, it } from 'vitest';
import { summarize } from './audit.ts';

describe('summarize', () => {
  it('puts an audit detail on one line', () => {
    expect(summarize({ namespace: 'team', account: 'ann', gone: null, permissions: [{ repository: 'team/*', actions: ['pull'] }] })).toBe(
      'namespace=team account=ann permissions=[{"repository":"team/*","actions":["pull"]}]',
    );
    expect(summarize(undefined)).toBe('');
    expect(summarize('text')).toBe('"text"');
  });
});
