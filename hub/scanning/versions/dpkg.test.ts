import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDpkg, parseDpkgVersion } from './dpkg.ts';

/** [a, b, expected sign of compareDpkg(a, b)] */
const VECTORS: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0', 0],
  ['1.0', '1.1', -1],
  ['1.10', '1.9', 1],
  ['1.0', '1.0.0', -1],
  ['1.0', '1.0-0', 0],
  ['1.0-0', '1.0-00', 0],
  ['0:1.0', '1.0', 0],
  ['1:0.1', '2.0', 1],
  ['2:1', '10:0', -1],
  ['+1:0', '1:0', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~~a', -1],
  ['1.0~~a', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0a', -1],
  ['1.0a', '1.0+', -1],
  ['1.0+', '1.0.', -1],
  ['1.0a', '1.0A', 1],
  ['1.0Z', '1.0a', -1],
  ['1.0-1', '1.0-1~bpo1', 1],
  ['1.0-1', '1.0-1+b1', -1],
  ['1.0-1+deb12u1', '1.0-1+deb12u2', -1],
  ['1.0-1+deb12u10', '1.0-1+deb12u9', 1],
  ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
  ['1.2-3-4', '1.2-3', 1],
  ['1.2-3-4', '1.2-4', 1],
  ['1:2:3-4', '1:2:3-5', -1],
  ['007', '7', 0],
  ['1.007', '1.7', 0],
  ['00000000000000000000000000000000001', '1', 0],
  ['123456789012345678901234567890', '123456789012345678901234567891', -1],
  ['99999999999999999999', '100000000000000000000', -1],
  ['1.2.3', '1.2.3.0', -1],
  ['9.52+dfsg-1', '9.52+dfsg-1ubuntu0.1', -1],
  ['2:8.2.3995-1ubuntu2.15', '2:8.2.3995-1ubuntu2.9', 1],
  ['1.1.1f-1ubuntu2.20', '1.1.1f-1ubuntu2.3', 1],
  ['5.15.0-91.101', '5.15.0-101.111', -1],
  ['3.0.11-1~deb12u2', '3.0.11-1', -1],
  ['1.0.0~beta1~git20240101', '1.0.0~beta1', -1],
  ['a', '1', 1],
  ['1_0', '1.0', 1],
  [' 1.0 ', '1.0', 0],
];

/** Versions in strictly ascending order, for an all-pairs check. */
const ASCENDING = [
  '0~~',
  '0~',
  '0',
  '0a',
  '0.1~alpha',
  '0.1',
  '0.1-1',
  '0.1-1.1',
  '0.1+b1',
  '0.1.0',
  '0.9',
  '0.10',
  '1.0~rc1',
  '1.0~rc2',
  '1.0',
  '1.0-0.1',
  '1.0-1~bpo12+1',
  '1.0-1',
  '1.0-1ubuntu1',
  '1.0-1+deb12u1',
  '1.0-2',
  '1.0a',
  '1.0+dfsg',
  '1.0.1',
  '2',
  '1:0',
  '1:0.1',
  '2:0',
];

const dpkgAvailable = spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status === 0;

/** What the real dpkg says: -1, 0 or 1. */
function realDpkg(a: string, b: string): number {
  const holds = (op: string) => spawnSync('dpkg', ['--compare-versions', a, op, b], { stdio: 'ignore' }).status === 0;
  if (holds('lt')) return -1;
  if (holds('eq')) return 0;
  if (holds('gt')) return 1;
  throw new Error(`dpkg answered none of lt/eq/gt for '${a}' and '${b}'`);
}

describe('compareDpkg', () => {
  it.each(VECTORS)('%s vs %s → %i', (a, b, expected) => {
    expect(Math.sign(compareDpkg(a, b))).toBe(expected);
    expect(Math.sign(compareDpkg(b, a))).toBe(-expected || 0);
  });

  it('orders a chain of versions, every pair', () => {
    for (const [i, a] of ASCENDING.entries()) {
      for (const [j, b] of ASCENDING.entries()) {
        expect(Math.sign(compareDpkg(a, b)), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  it('sorts a list the way dpkg would', () => {
    const shuffled = [...ASCENDING].reverse();
    expect(shuffled.sort(compareDpkg)).toEqual(ASCENDING);
  });
});

describe.skipIf(!dpkgAvailable)('compareDpkg against the real dpkg --compare-versions', () => {
  it.each(VECTORS)('%s vs %s', (a, b) => {
    expect(Math.sign(compareDpkg(a, b))).toBe(realDpkg(a, b));
  });

  it('agrees on every pair of the chain', () => {
    for (const a of ASCENDING) {
      for (const b of ASCENDING) {
        expect(Math.sign(compareDpkg(a, b)), `${a} vs ${b}`).toBe(realDpkg(a, b));
      }
    }
  });

  it('rejects what dpkg rejects', () => {
    for (const bad of ['1 0', 'x:1', '1-', ':1', '1:', '-1:0', '99999999999:1', '1:-1']) {
      const dpkgRejects = spawnSync('dpkg', ['--compare-versions', bad, 'lt', '1'], { stdio: 'ignore' }).status === 2;
      expect(dpkgRejects, `dpkg on '${bad}'`).toBe(true);
      expect(() => compareDpkg(bad, '1'), bad).toThrow();
    }
  });
});

if (!dpkgAvailable) {
  // Made visible so a run on a machine without dpkg does not pass silently for the wrong reason.
  console.warn('dpkg is not installed: skipping the cross-check against dpkg --compare-versions');
}

describe('parseDpkgVersion', () => {
  it('splits epoch, upstream and revision', () => {
    expect(parseDpkgVersion('1:2.36-9+deb12u4')).toEqual({ epoch: 1, upstream: '2.36', revision: '9+deb12u4' });
    expect(parseDpkgVersion('2.36')).toEqual({ epoch: 0, upstream: '2.36', revision: '' });
    expect(parseDpkgVersion('1.2-3-4')).toEqual({ epoch: 0, upstream: '1.2-3', revision: '4' });
    expect(parseDpkgVersion('1:2:3')).toEqual({ epoch: 1, upstream: '2:3', revision: '' });
  });

  it.each([
    ['', 'version string is empty'],
    ['   ', 'version string is empty'],
    ['1 0', 'embedded spaces'],
    ['x:1', 'epoch in version is empty'],
    [':1', 'epoch in version is empty'],
    ['1a:1', 'epoch in version is not number'],
    ['-1:0', 'epoch in version is negative'],
    ['99999999999:1', 'epoch in version is too big'],
    ['1:', 'nothing after colon'],
    ['1-', 'revision number is empty'],
    ['-1', 'version number is empty'],
  ])('rejects %j (%s)', (text, reason) => {
    expect(() => parseDpkgVersion(text)).toThrow(reason);
    expect(() => parseDpkgVersion(text)).toThrow(/invalid Debian version/);
  });
});

