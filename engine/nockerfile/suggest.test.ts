import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './suggest.ts';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('enviroment', 'environment')).toBe(1);
    expect(editDistance('prots', 'ports')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('closest / didYouMean', () => {
  it('suggests a close candidate, ignoring case', () => {
    expect(closest('comand', ['command', 'entrypoint'])).toBe('command');
    expect(closest('PORTS', ['ports'])).toBe('ports');
    expect(didYouMean('nmae', ['name', 'version'])).toBe(' (did you mean "name"?)');
  });

  it('suggests nothing when nothing is close, or for numbers', () => {
    expect(closest('xyz', ['command'])).toBeUndefined();
    expect(closest('2.0', ['1.0'])).toBeUndefined();
    expect(didYouMean('zzz', ['name'])).toBe('');
  });

  it('suggests a name that the word abbreviates', () => {
    expect(closest('prod', ['development', 'production'])).toBe('production');
    expect(closest('pr', ['production'])).toBeUndefined();
  });

  it('prefers the closest of several', () => {
    expect(closest('hots', ['host', 'hosts'])).toBe('host');
  });
});
