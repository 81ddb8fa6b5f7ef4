import { describe, expect, it } from 'vitest';
import { versionComparator } from '../versions/index.ts';
import { ecosystemMatches, isAffected, matchingAffected, normalizePypiName, packageNamesMatch, type VersionCompare } from './match.ts';
import { parseOsvRecord, type OsvRecord } from './record.ts';

/** Dotted numbers, segment by segment (`1.10` > `1.9`); enough for the fixtures below. */
const dotted: VersionCompare = (a, b) => {
  const left = a.split(/[.\-+]/);
  const right = b.split(/[.\-+]/);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? '0';
    const y = right[i] ?? '0';
    const diff = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
};

function record(affected: unknown[], extra: Record<string, unknown> = {}): OsvRecord {
  return parseOsvRecord({ id: 'NOCK-TEST', modified: '2099-01-01T00:00:00Z', affected, ...extra }, 'fixture');
}

function range(events: Record<string, string>[], type = 'ECOSYSTEM') {
  return { type, events };
}

const verdict = (r: OsvRecord, version: string, ecosystem = 'npm', name = 'widget') => isAffected(r, ecosystem, name, version, dotted);

describe('isAffected over ranges', () => {
  it('introduced/fixed: affected from introduced up to, not including, fixed', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '1.2.0' }, { fixed: '1.4.1' }], 'SEMVER')] }]);
    expect(verdict(r, '1.1.9')).toEqual({ affected: false });
    expect(verdict(r, '1.2.0')).toEqual({ affected: true, fixed: '1.4.1' });
    expect(verdict(r, '1.4.0')).toEqual({ affected: true, fixed: '1.4.1' });
    expect(verdict(r, '1.4.1')).toEqual({ affected: false });
    expect(verdict(r, '2.0.0')).toEqual({ affected: false });
  });

  it('introduced "0" is below every version, whatever the comparator thinks of "0"', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '0' }, { fixed: '0.5.0' }])] }]);
    const neverZero: VersionCompare = (a, b) => {
      if (a === '0' || b === '0') throw new Error('comparator asked about the sentinel');
      return dotted(a, b);
    };
    expect(isAffected(r, 'npm', 'widget', '0.0.1', neverZero)).toEqual({ affected: true, fixed: '0.5.0' });
    expect(isAffected(r, 'npm', 'widget', '0.5.0', neverZero)).toEqual({ affected: false });
  });

  it('last_affected: affected up to and including it, with no fix to suggest', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '2.0.0' }, { last_affected: '2.3.0' }])] }]);
    expect(verdict(r, '1.9.9')).toEqual({ affected: false });
    expect(verdict(r, '2.3.0')).toEqual({ affected: true });
    expect(verdict(r, '2.3.1')).toEqual({ affected: false });
  });

  it('several introduced/fixed pairs in one range, listed out of order', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ fixed: '2.1.5' }, { introduced: '2.0.0' }, { fixed: '1.0.3' }, { introduced: '1.0.0' }])] }]);
    expect(verdict(r, '1.0.2')).toEqual({ affected: true, fixed: '1.0.3' });
    expect(verdict(r, '1.5.0')).toEqual({ affected: false });
    expect(verdict(r, '2.1.0')).toEqual({ affected: true, fixed: '2.1.5' });
    expect(verdict(r, '2.1.5')).toEqual({ affected: false });
  });

  it('multiple ranges and entries: any one affects; the lowest fix above the version is suggested', () => {
    const r = record([
      { package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '1.0.0' }, { fixed: '1.8.0' }]), range([{ introduced: '1.5.0' }, { fixed: '1.6.2' }])] },
      { package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '3.0.0' }])] },
    ]);
    expect(verdict(r, '1.5.1')).toEqual({ affected: true, fixed: '1.6.2' });
    expect(verdict(r, '1.7.0')).toEqual({ affected: true, fixed: '1.8.0' });
    expect(verdict(r, '2.0.0')).toEqual({ affected: false });
    expect(verdict(r, '3.9.0')).toEqual({ affected: true });
  });

  it('limit: nothing at or past a limit is affected', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '1.0.0' }, { limit: '1.9.0' }])] }]);
    expect(verdict(r, '1.8.0')).toEqual({ affected: true });
    expect(verdict(r, '1.9.0')).toEqual({ affected: false });
  });

  it('explicit versions match exactly, beside or without ranges', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, versions: ['0.9.1', '0.9.4'] }]);
    expect(verdict(r, '0.9.1')).toEqual({ affected: true });
    expect(verdict(r, '0.9.2')).toEqual({ affected: false });
  });

  it('explicit versions match by the ecosystem\'s equality, and unreadable listed tags are passed over', () => {
    const r = record([{ package: { ecosystem: 'PyPI', name: 'widget' }, versions: ['release-candidate', '2.0'] }]);
    const strict: VersionCompare = (a, b) => {
      if (!/^[\d.]+$/.test(a) || !/^[\d.]+$/.test(b)) throw new Error(`cannot read ${a} or ${b}`);
      return dotted(a, b);
    };
    expect(isAffected(r, 'PyPI', 'widget', '2.0.0', strict)).toEqual({ affected: true });
    expect(isAffected(r, 'PyPI', 'widget', '2.0.1', strict)).toEqual({ affected: false });
  });

  it('skips GIT ranges, which name commits', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [{ type: 'GIT', repo: 'https://git.example.test/w', events: [{ introduced: '0' }, { fixed: 'a1b2c3' }] }] }]);
    expect(verdict(r, '1.0.0')).toEqual({ affected: false });
  });

  it('uses the SEMVER comparator for SEMVER ranges when one is given', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '1.0.0' }, { fixed: '2.0.0' }], 'SEMVER')] }]);
    const reversed: VersionCompare = (a, b) => dotted(b, a);
    expect(isAffected(r, 'npm', 'widget', '1.5.0', reversed, { semverCompare: dotted })).toEqual({ affected: true, fixed: '2.0.0' });
  });

  it('a withdrawn record affects nothing', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '0' }])] }], { withdrawn: '2099-03-01T00:00:00Z' });
    expect(verdict(r, '1.0.0')).toEqual({ affected: false });
  });

  it('other packages and ecosystems are not affected', () => {
    const r = record([{ package: { ecosystem: 'npm', name: 'widget' }, ranges: [range([{ introduced: '0' }])] }]);
    expect(verdict(r, '1.0.0', 'npm', 'gadget')).toEqual({ affected: false });
    expect(verdict(r, '1.0.0', 'PyPI', 'widget')).toEqual({ affected: false });
  });
});

describe('ecosystems and names', () => {
  const debian = record([
    { package: { ecosystem: 'Debian:12', name: 'libwidget' }, ranges: [range([{ introduced: '0' }, { fixed: '1.2-3+deb12u1' }])] },
    { package: { ecosystem: 'Debian:11', name: 'libwidget' }, ranges: [range([{ introduced: '0' }, { fixed: '1.1-9+deb11u2' }])] },
  ]);

  it('a Debian release record matches that release only', () => {
    expect(isAffected(debian, 'Debian:12', 'libwidget', '1.2-3', dotted)).toEqual({ affected: true, fixed: '1.2-3+deb12u1' });
    expect(isAffected(debian, 'Debian:11', 'libwidget', '1.1-9', dotted)).toEqual({ affected: true, fixed: '1.1-9+deb11u2' });
    expect(isAffected(debian, 'Debian:13', 'libwidget', '1.0-1', dotted)).toEqual({ affected: false });
    expect(matchingAffected(debian, 'Debian:12', 'libwidget')).toHaveLength(1);
  });

  it('a bare Debian record matches every release', () => {
    const bare = record([{ package: { ecosystem: 'Debian', name: 'libwidget' }, ranges: [range([{ introduced: '0' }, { fixed: '2.0-1' }])] }]);
    for (const release of ['Debian:10', 'Debian:12', 'Debian']) expect(isAffected(bare, release, 'libwidget', '1.9-1', dotted).affected).toBe(true);
  });

  it('ecosystemMatches: release by release, the image side may be more precise', () => {
    expect(ecosystemMatches('Alpine:v3.20', 'Alpine:v3.20')).toBe(true);
    expect(ecosystemMatches('Alpine:v3.20', 'Alpine:v3.20.3')).toBe(true);
    expect(ecosystemMatches('Alpine:v3.2', 'Alpine:v3.20')).toBe(false);
    expect(ecosystemMatches('Debian:12', 'Debian')).toBe(false);
    expect(ecosystemMatches('Debian', 'Ubuntu:22.04')).toBe(false);
  });

  it('PyPI names are compared in PEP 503 form', () => {
    expect(normalizePypiName('Friendly.Bard')).toBe('friendly-bard');
    expect(normalizePypiName('friendly__-._bard')).toBe('friendly-bard');
    const r = record([{ package: { ecosystem: 'PyPI', name: 'Widget_Tools' }, ranges: [range([{ introduced: '0' }, { fixed: '3.1' }])] }]);
    for (const name of ['widget-tools', 'WIDGET.TOOLS', 'widget__tools']) expect(isAffected(r, 'PyPI', name, '3.0', dotted)).toEqual({ affected: true, fixed: '3.1' });
    expect(isAffected(r, 'PyPI', 'widgettools', '3.0', dotted).affected).toBe(false);
  });

  it('npm and Go names are compared exactly', () => {
    expect(packageNamesMatch('npm', '@scope/widget', '@scope/widget')).toBe(true);
    expect(packageNamesMatch('npm', 'Widget', 'widget')).toBe(false);
    expect(packageNamesMatch('Go', 'example.test/Widget', 'example.test/widget')).toBe(false);
  });
});

describe('with the versions module', () => {
  it('orders Debian versions: epochs and tildes', () => {
    const compare = versionComparator('Debian:12');
    if (compare === undefined) throw new Error('no Debian comparator');
    const r = record([{ package: { ecosystem: 'Debian:12', name: 'libwidget' }, ranges: [range([{ introduced: '0' }, { fixed: '1:2.0~rc1-1' }])] }]);
    expect(isAffected(r, 'Debian:12', 'libwidget', '1:1.9-4', compare)).toEqual({ affected: true, fixed: '1:2.0~rc1-1' });
    // Without an epoch a version is below any with one; a tilde sorts before the release.
    expect(isAffected(r, 'Debian:12', 'libwidget', '3.0-1', compare).affected).toBe(true);
    expect(isAffected(r, 'Debian:12', 'libwidget', '1:2.0-1', compare).affected).toBe(false);
  });
});
