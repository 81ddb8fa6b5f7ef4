import { describe, expect, it } from 'vitest';
import { InvalidRangeError, isRangeLike, maxSatisfying, parseRange, satisfies } from './semver-range.ts';

describe('satisfies', () => {
  // [range, versions that satisfy it, versions that do not]
  const cases: [string, string[], string[]][] = [
    ['1.2.3', ['1.2.3', 'v1.2.3'], ['1.2.4', '1.2.3-rc.1', '1.2']],
    ['=1.2.3', ['1.2.3'], ['1.2.2']],
    ['^1.2', ['1.2.0', '1.9.9', 'v1.4.0'], ['1.1.9', '2.0.0', '2.0.0-rc.1', '1.3.0-rc.1']],
    ['^1.2.3', ['1.2.3', '1.99.0'], ['1.2.2', '2.0.0']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0', '0.2.2']],
    ['^0.0.3', ['0.0.3'], ['0.0.4', '0.0.2']],
    ['^0.0', ['0.0.0', '0.0.9'], ['0.1.0']],
    ['^0.x', ['0.0.1', '0.9.0'], ['1.0.0']],
    ['^1', ['1.0.0', '1.5.2'], ['2.0.0', '0.9.0']],
    ['~1.2.3', ['1.2.3', '1.2.9'], ['1.3.0', '1.2.2']],
    ['~1.2', ['1.2.0', '1.2.9'], ['1.3.0']],
    ['~1', ['1.0.0', '1.9.0'], ['2.0.0']],
    ['>=1.2 <2', ['1.2.0', '1.9.9'], ['1.1.9', '2.0.0', '2.0.0-alpha']],
    ['>= 1.2 < 2', ['1.5.0'], ['2.0.0']],
    ['>1.2', ['1.3.0', '2.0.0'], ['1.2.9', '1.2.0']],
    ['>1.2.3', ['1.2.4'], ['1.2.3']],
    ['<=1.2', ['1.2.9', '0.1.0'], ['1.3.0']],
    ['<1.2', ['1.1.9'], ['1.2.0']],
    ['1.x', ['1.0.0', '1.9.9'], ['2.0.0', '0.9.9']],
    ['1.2.*', ['1.2.0', '1.2.7'], ['1.3.0']],
    ['1', ['1.0.0', '1.8.0'], ['2.0.0']],
    ['*', ['0.0.0', '9.9.9', 'v3.0.0'], ['1.0.0-rc.1', 'latest']],
    ['', ['1.0.0'], ['1.0.0-rc.1']],
    ['1.2 - 2.3.4', ['1.2.0', '2.3.4'], ['2.3.5', '1.1.0']],
    ['1.2.3 - 2.3', ['2.3.9'], ['2.4.0']],
    ['^1.2 || ^3', ['1.5.0', '3.1.0'], ['2.0.0', '4.0.0']],
    ['<1.0.0 || >=2.0.0 <2.1', ['0.5.0', '2.0.9'], ['1.5.0', '2.1.0']],
    // Prereleases: only of a release the range names a prerelease of.
    ['>=1.2.3-rc.1', ['1.2.3-rc.1', '1.2.3-rc.2', '1.2.3', '2.0.0'], ['1.2.4-rc.1', '1.2.3-beta']],
    ['^2.0.0-rc.1', ['2.0.0-rc.2', '2.1.0'], ['2.1.0-rc.1', '2.0.0-beta']],
    ['1.2.3-rc.1', ['1.2.3-rc.1'], ['1.2.3-rc.2', '1.2.3']],
  ];
  for (const [range, yes, no] of cases) {
    it(`"${range}"`, () => {
      for (const version of yes) expect(satisfies(version, range), `${version} satisfies "${range}"`).toBe(true);
      for (const version of no) expect(satisfies(version, range), `${version} does not satisfy "${range}"`).toBe(false);
    });
  }
});

describe('maxSatisfying', () => {
  const tags = ['latest', '1.0.0', 'v1.2.5', '1.2.0', '1.3.0-rc.1', '2.0.0', '2.1.0-beta', 'stable', '1.2'];

  it.each([
    ['^1.2', 'v1.2.5'],
    ['~1.2.0', 'v1.2.5'],
    ['1.0.0', '1.0.0'],
    ['*', '2.0.0'],
    ['>=1 <2', 'v1.2.5'],
    ['^1.3.0-rc.0', '1.3.0-rc.1'],
    ['^2.1.0-alpha', '2.1.0-beta'],
    ['^3', undefined],
    ['<1', undefined],
  ])('%s → %s', (range, expected) => {
    expect(maxSatisfying(tags, range)).toBe(expected);
  });

  it('picks the same tag of two with equal precedence whatever their order', () => {
    expect(maxSatisfying(['v1.2.3', '1.2.3'], '^1')).toBe('1.2.3');
    expect(maxSatisfying(['1.2.3', 'v1.2.3'], '^1')).toBe('1.2.3');
    expect(maxSatisfying([], '*')).toBeUndefined();
  });
});

describe('parseRange', () => {
  it('desugars into comparators', () => {
    expect(parseRange(' ^1.2 ').alternatives).toEqual([[{ operator: '>=', version: '1.2.0' }, { operator: '<', version: '2.0.0-0' }]]);
    expect(parseRange('~1.2.3 || 2').alternatives).toEqual([
      [{ operator: '>=', version: '1.2.3' }, { operator: '<', version: '1.3.0-0' }],
      [{ operator: '>=', version: '2.0.0' }, { operator: '<', version: '3.0.0-0' }],
    ]);
    expect(parseRange('99999999999999999999.x').alternatives[0]?.[1]).toEqual({ operator: '<', version: '100000000000000000000.0.0-0' });
  });

  it.each([
    ['^', 'has no version after its operator'],
    ['1.2.3.4', '"1.2.3.4" is not a version'],
    ['>=1.2 <', 'has no version'],
    ['latest', '"latest" is not a version'],
    ['01.2', '"01.2" is not a version'],
    ['1.x.3', 'a number after a wildcard'],
    ['!1', 'is not a version'],
  ])('rejects "%s"', (range, message) => {
    expect(() => parseRange(range)).toThrow(InvalidRangeError);
    expect(() => parseRange(range)).toThrow(message);
  });
});

describe('isRangeLike', () => {
  it.each([
    ['^1.2', true],
    ['~1', true],
    ['>=1 <2', true],
    ['1.x', true],
    ['v1.2.X', true],
    ['*', true],
    ['1 || 2', true],
    ['1.2.3', false],
    ['1.2', false],
    ['v1', false],
    ['latest', false],
    ['2024.01-slim', false],
  ])('%s → %s', (text, expected) => {
    expect(isRangeLike(text)).toBe(expected);
  });
});
