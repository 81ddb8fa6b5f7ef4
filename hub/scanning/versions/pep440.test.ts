import { describe, expect, it } from 'vitest';
import { comparePep440 } from './pep440.ts';

describe('comparePep440', () => {
  it('orders the PEP 440 example chain, every pair', () => {
    // The "summary of permitted suffixes and relative ordering" of PEP 440, extended.
    const ascending = [
      '1.dev0',
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.0.15',
      '1.1.dev1',
      '1!0.1',
    ];
    for (const [i, a] of ascending.entries()) {
      for (const [j, b] of ascending.entries()) {
        expect(comparePep440(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  it.each([
    ['1.0', '1.0.0'],
    ['1.0RC1', '1.0rc1'],
    ['1.0c1', '1.0rc1'],
    ['1.0-1', '1.0.post1'],
    ['v1.0', '1.0'],
    [' 1.0 ', '1.0'],
    ['0!1.0', '1.0'],
  ])('%j equals %j', (a, b) => {
    expect(comparePep440(a, b)).toBe(0);
  });

  it.each(['', 'foo', '1.0-beta-x', '1..0'])('rejects %j, naming the version and PyPI', (bad) => {
    expect(() => comparePep440(bad, '1.0')).toThrow(`invalid PyPI version '${bad}'`);
  });
});
