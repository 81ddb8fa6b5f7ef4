import { describe, expect, it } from 'vitest';
import { npmAnalyser } from './npm.ts';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('npmAnalyser', () => {
  it('wants package roots under node_modules only', () => {
    expect(npmAnalyser.wants('app/node_modules/express/package.json')).toBe(true);
    expect(npmAnalyser.wants('node_modules/@scope/pkg/package.json')).toBe(true);
    expect(npmAnalyser.wants('usr/local/lib/node_modules/npm/node_modules/semver/package.json')).toBe(true);
    expect(npmAnalyser.wants('app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json')).toBe(true);
    expect(npmAnalyser.wants('app/package.json')).toBe(false);
    expect(npmAnalyser.wants('app/node_modules/express/lib/package.json')).toBe(false);
    expect(npmAnalyser.wants('app/node_modules/@scope/package.json')).toBe(false);
    expect(npmAnalyser.wants('app/node_modules/.cache/package.json')).toBe(false);
    expect(npmAnalyser.wants('app/my_node_modules/x/package.json')).toBe(false);
  });

  it('lists scoped, nested and plain packages and ignores a stray package.json', () => {
    const files = new Map([
      ['app/package.json', json({ name: 'my-app', version: '1.0.0' })],
      ['app/node_modules/express/package.json', json({ name: 'express', version: '4.18.2', license: 'MIT' })],
      ['app/node_modules/@babel/core/package.json', json({ name: '@babel/core', version: '7.23.7', licenses: [{ type: 'MIT' }, 'Apache-2.0'] })],
      ['app/node_modules/ms/package.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ name: 'ms', version: '2.0.0' })])],
      ['app/node_modules/express/node_modules/debug/package.json', json({ name: 'debug', version: '2.6.9', license: { type: 'MIT' } })],
    ]);
    expect(npmAnalyser.analyse(files)).toEqual([
      { type: 'npm', name: 'express', version: '4.18.2', licenses: ['MIT'], path: 'app/node_modules/express/package.json' },
      { type: 'npm', name: '@babel/core', version: '7.23.7', licenses: ['MIT', 'Apache-2.0'], path: 'app/node_modules/@babel/core/package.json' },
      { type: 'npm', name: 'ms', version: '2.0.0', path: 'app/node_modules/ms/package.json' },
      { type: 'npm', name: 'debug', version: '2.6.9', licenses: ['MIT'], path: 'app/node_modules/express/node_modules/debug/package.json' },
    ]);
  });

  it('skips manifests without a name or version, and ones that are not JSON objects', () => {
    const files = new Map([
      ['node_modules/a/package.json', json({ name: 'a' })],
      ['node_modules/b/package.json', json({ version: '1.0.0' })],
      ['node_modules/c/package.json', Buffer.from('{not json')],
      ['node_modules/d/package.json', json(['d', '1.0.0'])],
      ['node_modules/e/package.json', json({ name: 'e', version: 1 })],
    ]);
    expect(npmAnalyser.analyse(files)).toEqual([]);
  });
});
