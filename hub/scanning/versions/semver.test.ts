import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver } from './semver.ts';

/** Strictly ascending; the first ten are the example of semver.org §11. */
const ASCENDING = [
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-alpha.beta',
  '1.0.0-beta',
  '1.0.0-beta.2',
  '1.0.0-beta.11',
  '1.0.0-rc.1',
  '1.0.0',
  '2.0.0',
  '2.1.0',
  '2.1.1',
  '2.1.10',
  '10.0.0',
  '18446744073709551616.0.0',
];

describe('compareSemver', () => {
  it('orders semver.org precedence examples, every pair', () => {
    for (const [i, a] of ASCENDING.entries()) {
      for (const [j, b] of ASCENDING.entries()) {
        expect(Math.sign(compareSemver(a, b)), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  it.each([
    ['1.0.0-1', '1.0.0-a', -1], // numeric below alphanumeric
    ['1.0.0-2', '1.0.0-10', -1],
    ['1.0.0-a10', '1.0.0-a2', -1], // alphanumeric compares as ASCII
    ['1.0.0-A', '1.0.0-a', -1],
    ['1.0.0-x-y', '1.0.0-x', 1],
    ['1.0.0-alpha.1', '1.0.0-alpha.1.0', -1],
    ['1.0.0+build.1', '1.0.0+build.2', 0],
    ['1.0.0-rc.1+build', '1.0.0-rc.1', 0],
    ['v1.2.3', '1.2.3', 0],
    ['v2.0.0+incompatible', 'v2.0.0', 0],
    // Go pseudo-versions: vX.0.0-timestamp-hash, vX.Y.(Z+1)-0.timestamp-hash, vX.Y.Z-pre.0.timestamp-hash
    ['v0.0.0-20210101120000-abcdef123456', 'v0.0.0-20210102120000-000000000000', -1],
    ['v0.0.0-20210101120000-abcdef123456', 'v0.0.1', -1],
    ['v1.2.4-0.20210101120000-abcdef123456', 'v1.2.3', 1],
    ['v1.2.4-0.20210101120000-abcdef123456', 'v1.2.4', -1],
    ['v1.2.4-0.20210101120000-abcdef123456', 'v1.2.4-0.20220101120000-abcdef123456', -1],
    ['v1.2.3-pre.0.20210101120000-abcdef123456', 'v1.2.3-pre', 1],
    ['v1.2.3-pre.0.20210101120000-abcdef123456', 'v1.2.3-pre.1', -1],
  ] as const)('%s vs %s → %i', (a, b, expected) => {
    expect(Math.sign(compareSemver(a, b))).toBe(expected);
    expect(Math.sign(compareSemver(b, a))).toBe(-expected || 0);
  });

  it.each(['', '1', '1.2', 'v1', '1.2.3.4', '01.2.3', '1.02.3', '1.2.3-01', '1.2.3-', '1.2.3-a..b', '1.2.3+', '1.2.3+a..b', 'V1.2.3', ' 1.2.3', '1.2.3-ä'])(
    'rejects %j, naming the version and the ecosystem',
    (bad) => {
      expect(() => compareSemver(bad, '1.0.0', 'Go')).toThrow(`invalid Go version '${bad}'`);
    },
  );

  it('keeps prerelease identifiers that start with a zero but are not numeric', () => {
    expect(parseSemver('1.0.0-0abc.0').prerelease).toEqual(['0abc', '0']);
  });
});
