import { describe, expect, it } from 'vitest';
import { ecosystemMatches } from './osv/match.ts';
import { matchableEcosystem, matchedAs, osvEcosystem } from './ecosystem.ts';

describe('osvEcosystem', () => {
  it('names the distribution release of OS packages', () => {
    expect(osvEcosystem({ type: 'deb' }, { id: 'debian', versionId: '12' })).toBe('Debian:12');
    expect(osvEcosystem({ type: 'deb' }, { id: 'debian', versionId: '11.9' })).toBe('Debian:11');
    expect(osvEcosystem({ type: 'deb' }, { id: 'ubuntu', versionId: '22.04' })).toBe('Ubuntu:22.04');
    expect(osvEcosystem({ type: 'apk' }, { id: 'alpine', versionId: '3.19.1' })).toBe('Alpine:v3.19');
    expect(osvEcosystem({ type: 'apk' }, { id: 'alpine', versionId: '3.20' })).toBe('Alpine:v3.20');
  });

  it('leaves OS packages unmatched when the release or distribution is unknown', () => {
    expect(osvEcosystem({ type: 'deb' }, { id: 'debian', versionCodename: 'trixie' })).toBeUndefined();
    expect(osvEcosystem({ type: 'deb' })).toBeUndefined();
    expect(osvEcosystem({ type: 'deb' }, { id: 'kali', versionId: '2024.1' })).toBeUndefined();
    expect(osvEcosystem({ type: 'apk' }, { id: 'wolfi', versionId: '20230201' })).toBeUndefined();
    expect(osvEcosystem({ type: 'apk' }, { id: 'alpine', versionId: 'edge' })).toBeUndefined();
  });

  it('names the registry of language packages whatever the distribution', () => {
    const types = ['npm', 'pypi', 'gem', 'cargo', 'golang', 'maven'] as const;
    expect(types.map((type) => osvEcosystem({ type }))).toEqual(['npm', 'PyPI', 'RubyGems', 'crates.io', 'Go', 'Maven']);
    expect(osvEcosystem({ type: 'npm' }, { id: 'debian', versionId: '12' })).toBe('npm');
  });
});

describe('matchedAs', () => {
  it('matches distribution packages by their source, others by themselves', () => {
    expect(matchedAs({ type: 'deb', name: 'libfoo1', version: '1.2-3+b1', sourceName: 'foo', sourceVersion: '1.2-3' })).toEqual({ name: 'foo', version: '1.2-3' });
    expect(matchedAs({ type: 'apk', name: 'libcrypto3', version: '3.1.4-r1', sourceName: 'openssl' })).toEqual({ name: 'openssl', version: '3.1.4-r1' });
    expect(matchedAs({ type: 'deb', name: 'bar', version: '2.0-1', sourceName: null, sourceVersion: null })).toEqual({ name: 'bar', version: '2.0-1' });
    expect(matchedAs({ type: 'npm', name: 'lodash', version: '4.17.20', sourceName: 'x' })).toEqual({ name: 'lodash', version: '4.17.20' });
  });
});

describe('matchableEcosystem', () => {
  it("lets an Ubuntu image match OSV's LTS spelling, and nothing else", () => {
    expect(ecosystemMatches('Ubuntu:22.04:LTS', 'Ubuntu:22.04')).toBe(false);
    expect(ecosystemMatches(matchableEcosystem('Ubuntu:22.04:LTS'), 'Ubuntu:22.04')).toBe(true);
    expect(ecosystemMatches(matchableEcosystem('Ubuntu:20.04:LTS'), 'Ubuntu:22.04')).toBe(false);
    expect(ecosystemMatches(matchableEcosystem('Ubuntu:Pro:18.04:LTS'), 'Ubuntu:18.04')).toBe(false);
    expect(matchableEcosystem('Ubuntu:23.10')).toBe('Ubuntu:23.10');
    expect(matchableEcosystem('Debian:12')).toBe('Debian:12');
  });
});
