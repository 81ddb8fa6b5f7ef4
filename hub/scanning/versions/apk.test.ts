import { describe, expect, it } from 'vitest';
import { compareApk } from './apk.ts';

/** Versions in strictly ascending apk order, checked pairwise. */
const ASCENDING = [
  '0.9',
  '1',
  '1.0_alpha',
  '1.0_alpha1',
  '1.0_alpha2',
  '1.0_beta',
  '1.0_beta1',
  '1.0_pre1',
  '1.0_rc1',
  '1.0_rc1-r1',
  '1.0_rc2',
  '1.0',
  '1.0-r0',
  '1.0-r1',
  '1.0-r10',
  '1.0~1a2b3c',
  '1.0~1a2b3c-r1',
  '1.0~deadbeef',
  '1.0_cvs1',
  '1.0_svn1',
  '1.0_git20240101',
  '1.0_hg1',
  '1.0_p',
  '1.0_p1',
  '1.0_p1-r1',
  '1.0_p2_rc1',
  '1.0_p2',
  '1.0_p2_p1',
  '1.0a',
  '1.0b',
  '1.0.0',
  '1.001',
  '1.01',
  '1.010',
  '1.02',
  '1.2',
  '1.2.3_rc1',
  '1.2.3',
  '1.2.3-r1',
  '1.2.3_p1',
  '1.2.3.1',
  '1.10',
  '2',
  '20240101',
  '123456789012345678901234567890',
];

describe('compareApk', () => {
  it('orders a chain of versions, every pair', () => {
    for (const [i, a] of ASCENDING.entries()) {
      for (const [j, b] of ASCENDING.entries()) {
        expect(Math.sign(compareApk(a, b)), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  it.each([
    ['1.2.3', '1.2.3'],
    ['01.2', '1.2'], // the first number is always numeric
    ['1.2-r01', '1.2-r1'],
    ['1.0_p01', '1.0_p1'],
  ])('%s equals %s', (a, b) => {
    expect(compareApk(a, b)).toBe(0);
  });

  it.each([
    '',
    'v1.0',
    'a1',
    '1.',
    '1..2',
    '1.0-1',
    '1.0-r',
    '1.0_foo',
    '1.0_P1',
    '1.0ab',
    '1.0a1',
    '1.0_p1a',
    '1.0~',
    '1.0~XYZ',
    '1.0-r1_p1',
    '1.0-r1-r2',
    '1.0 ',
    '1.0+1',
  ])('rejects %j, naming the version and Alpine', (bad) => {
    expect(() => compareApk(bad, '1.0')).toThrow(`invalid Alpine version '${bad}'`);
    expect(() => compareApk('1.0', bad)).toThrow(`invalid Alpine version '${bad}'`);
  });
});
