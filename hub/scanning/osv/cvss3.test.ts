import { describe, expect, it } from 'vitest';
import { cvss3BaseScore, cvssRating, parseCvss3Vector, roundUp } from './cvss3.ts';

describe('cvss3BaseScore', () => {
  // Expected scores worked out from the specification's formulas in exact arithmetic.
  const cases: [string, number][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H', 9.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H', 8.2],
    ['CVSS:3.1/AV:A/AC:L/PR:H/UI:R/S:C/C:L/I:N/A:N', 2.9],
    ['CVSS:3.1/AV:L/AC:H/PR:H/UI:N/S:C/C:N/I:L/A:N', 2.5],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N', 0],
  ];
  for (const [vector, score] of cases) it(`${vector} → ${score}`, () => expect(cvss3BaseScore(vector)).toBe(score));

  it('ignores temporal and environmental metrics, in any order', () => {
    expect(cvss3BaseScore('CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L')).toBe(9.8);
  });

  it('refuses malformed vectors', () => {
    expect(() => parseCvss3Vector('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('does not start with CVSS:3.0/ or CVSS:3.1/');
    expect(() => parseCvss3Vector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toThrow('does not start');
    expect(() => parseCvss3Vector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toThrow('lacks the base metric A');
    expect(() => parseCvss3Vector('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('AV cannot be "X"');
    expect(() => parseCvss3Vector('CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('gives AV twice');
    expect(() => parseCvss3Vector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1')).toThrow('unknown metric "ZZ:1"');
  });
});

describe('roundUp', () => {
  it('rounds up to one decimal without adding a tenth for float noise', () => {
    expect(roundUp(4.000000000000001)).toBe(4);
    expect(roundUp(4.0)).toBe(4);
    expect(roundUp(4.02)).toBe(4.1);
    expect(roundUp(4.00001)).toBe(4.1);
    expect(roundUp(9.78)).toBe(9.8);
  });
});

describe('cvssRating', () => {
  it('follows the specification\'s bands', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(cvssRating)).toEqual(['none', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
  });
});
