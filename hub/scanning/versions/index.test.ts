import { describe, expect, it } from 'vitest';
import { compareApk, compareDpkg, compareMaven, comparePep440, compareRubyGems, compareSemver, ecosystemBase, versionComparator } from './index.ts';

describe('ecosystemBase', () => {
  it.each([
    ['Debian:12', 'Debian'],
    ['Ubuntu:22.04:LTS', 'Ubuntu'],
    ['Ubuntu:Pro:18.04:LTS', 'Ubuntu'],
    ['Alpine:v3.19', 'Alpine'],
    ['crates.io', 'crates.io'],
    ['', ''],
  ])('%j → %j', (ecosystem, base) => {
    expect(ecosystemBase(ecosystem)).toBe(base);
  });
});

describe('versionComparator', () => {
  it.each([
    ['Debian', '1.0~rc1', '1.0'],
    ['Debian:12', '2.36-9+deb12u3', '2.36-9+deb12u10'],
    ['Ubuntu', '1.1.1f-1ubuntu2.3', '1.1.1f-1ubuntu2.20'],
    ['Ubuntu:22.04:LTS', '1:2.0', '2:1.0'],
    ['Alpine', '1.2.3_rc1', '1.2.3'],
    ['Alpine:v3.19', '1.2.3-r1', '1.2.3_p1'],
    ['npm', '1.0.0-beta.2', '1.0.0-beta.11'],
    ['crates.io', '0.9.9', '0.10.0'],
    ['Go', 'v0.0.0-20210101120000-abcdef123456', 'v0.1.0'],
    ['Maven', '1.0-SNAPSHOT', '1.0'],
    ['PyPI', '1.0rc1', '1.0.post1'],
    ['RubyGems', '1.0.0.rc1', '1.0.0'],
  ])('%s orders %s before %s', (ecosystem, lower, higher) => {
    const compare = versionComparator(ecosystem);
    expect(compare).toBeDefined();
    expect(compare?.(lower, higher)).toBeLessThan(0);
    expect(compare?.(higher, lower)).toBeGreaterThan(0);
    expect(compare?.(lower, lower)).toBe(0);
  });

  it('uses the ecosystem ordering, not a generic one', () => {
    expect(versionComparator('Debian')?.('1.0', '1.0.0')).toBeLessThan(0);
    expect(versionComparator('Maven')?.('1.0', '1.0.0')).toBe(0);
    expect(versionComparator('RubyGems')?.('1.0', '1.0.0')).toBe(0);
  });

  it.each(['Hackage', 'NuGet', 'Red Hat', 'debian', 'pypi', 'Wolfi', ''])('has no ordering for %j', (ecosystem) => {
    expect(versionComparator(ecosystem)).toBeUndefined();
  });

  it('names the ecosystem as given in errors', () => {
    expect(() => versionComparator('Debian:12')?.('1:', '1')).toThrow("invalid Debian:12 version '1:'");
    expect(() => versionComparator('Go')?.('1.2', 'v1.2.3')).toThrow("invalid Go version '1.2'");
    expect(() => versionComparator('npm')?.('latest', '1.0.0')).toThrow("invalid npm version 'latest'");
    expect(() => versionComparator('Alpine:v3.19')?.('1.0-1', '1.0')).toThrow("invalid Alpine:v3.19 version '1.0-1'");
    expect(() => versionComparator('PyPI')?.('nope', '1.0')).toThrow("invalid PyPI version 'nope'");
  });

  it('re-exports the comparators', () => {
    for (const compare of [compareApk, compareDpkg, compareMaven, comparePep440, compareRubyGems, compareSemver]) {
      expect(compare('1.0.0', '1.0.0')).toBe(0);
    }
  });
});
