import { describe, expect, it } from 'vitest';
import { compareRubyGems } from './rubygems.ts';

describe('compareRubyGems', () => {
  it('orders a chain of gem versions, every pair', () => {
    const ascending = ['0.9', '1.0.0.a', '1.0.0.a1', '1.0.0.b1', '1.0.0.pre', '1.0.0.rc1', '1.0.0', '1.0.1', '1.1', '1.10', '7.0.8', '7.0.8.1', '10.0'];
    for (const [i, a] of ascending.entries()) {
      for (const [j, b] of ascending.entries()) {
        expect(compareRubyGems(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  it.each([
    ['1.0', '1.0.0'],
    ['1', '1.0.0.0'],
    ['1.0-rc1', '1.0.pre.rc1'],
    ['1.0.0.rc1', '1.0.0rc1'],
  ])('%j equals %j', (a, b) => {
    expect(compareRubyGems(a, b)).toBe(0);
  });

  it.each(['', 'junk', '1.0 beta', '1..0'])('rejects %j, naming the version and RubyGems', (bad) => {
    expect(() => compareRubyGems(bad, '1.0')).toThrow(`invalid RubyGems version '${bad}'`);
  });
});
