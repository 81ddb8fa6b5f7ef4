import { describe, expect, it } from 'vitest';
import { compareMaven } from './maven.ts';

function expectAscending(versions: string[]): void {
  for (const [i, a] of versions.entries()) {
    for (const [j, b] of versions.entries()) {
      expect(Math.sign(compareMaven(a, b)), `${a} vs ${b}`).toBe(Math.sign(i - j));
    }
  }
}

describe('compareMaven', () => {
  it('orders qualifiers as Maven does', () => {
    expectAscending([
      '1-alpha2snapshot',
      '1-alpha2',
      '1-alpha-123',
      '1-beta-2',
      '1-beta123',
      '1-m2',
      '1-m11',
      '1-rc',
      '1-cr2',
      '1-rc123',
      '1-SNAPSHOT',
      '1',
      '1-sp',
      '1-sp2',
      '1-sp123',
      '1-abc',
      '1-def',
      '1-pom-1',
      '1-1-snapshot',
      '1-1',
      '1-2',
      '1-123',
    ]);
  });

  it('orders numbers and separators as Maven does', () => {
    expectAscending([
      '2.0',
      '2.0.a',
      '2-1',
      '2.0.2',
      '2.0.123',
      '2.1.0',
      '2.1-a',
      '2.1b',
      '2.1-c',
      '2.1-1',
      '2.1.0.1',
      '2.2',
      '2.123',
      '11.a2',
      '11.a11',
      '11.b2',
      '11.b11',
      '11.m2',
      '11.m11',
      '11',
      '11.a',
      '11b',
      '11c',
      '11m',
    ]);
  });

  it('follows the examples of the POM reference', () => {
    expectAscending(['1', '1.1']);
    expectAscending(['1-snapshot', '1', '1-sp']);
    expectAscending(['1-foo2', '1-foo10']);
    expectAscending(['1-foo', '1-1', '1.1']);
    expectAscending(['1-ga', '1-sp']);
    expectAscending(['1-ga.1', '1-sp.1']);
    expectAscending(['1-sp-1', '1-ga-1']);
    expectAscending(['1.0.RC2', '1.0-RC3', '1.0.1']);
    expect(compareMaven('1.foo', '1-foo')).toBe(0);
    expect(compareMaven('1-ga-1', '1-1')).toBe(0);
    expect(compareMaven('1-a1', '1-alpha-1')).toBe(0);
  });

  it.each([
    ['1', '1.0'],
    ['1', '1.0.0'],
    ['1', '1-0'],
    ['1', '1.0-0'],
    ['1', '1.'],
    ['1', '1-'],
    ['1', '1.ga'],
    ['1', '1-GA'],
    ['1', '1.final'],
    ['1', '1RELEASE'],
    ['1', '01'],
    ['1.0.0-foo.0.0', '1-foo'],
    ['1.0.0-0.0.0', '1'],
    ['1-1.foo-bar1baz-.1', '1-1.foo-bar-1-baz-0.1'],
    ['1a', '1-a'],
    ['1.0.0a', '1-a'],
    ['1x', '1.0-x'],
    ['1cr', '1rc'],
    ['1b2', '1-beta-2'],
    ['1m3', '1-milestone-3'],
    ['1m3', '1MileStone3'],
    ['1X', '1x'],
    ['', '0'],
    ['123456789012345678901234567890', '0123456789012345678901234567890'],
  ])('%j equals %j', (a, b) => {
    expect(compareMaven(a, b)).toBe(0);
    expect(compareMaven(b, a)).toBe(0);
  });

  it('compares numbers of any size', () => {
    expectAscending(['1.2147483647', '1.2147483648', '1.9223372036854775808', '1.123456789012345678901234567890']);
  });

  it('sorts real artifact versions', () => {
    expectAscending([
      '2.9.10',
      '2.9.10.1',
      '2.9.10.8',
      '2.10.0-rc1',
      '2.10.0',
      '2.12.7.1',
      '6.0.0-M1',
      '6.0.0-RC1',
      '6.0.0',
      '6.0.0.Final',
      '6.0.1.Final',
      '32.0.0-android',
      '32.0.0-jre',
      '32.1.2-jre',
    ].filter((version) => version !== '6.0.0.Final'));
    expect(compareMaven('6.0.0', '6.0.0.Final')).toBe(0);
  });

  it('puts unknown qualifiers after the release, as Maven does (Jackson 2.10.0.pr1 > 2.10.0)', () => {
    expectAscending(['2.10.0-rc1', '2.10.0', '2.10.0-sp1', '2.10.0.pr1', '2.10.0-zzz', '2.10.0-1', '2.10.0.1']);
  });
});
