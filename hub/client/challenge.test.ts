import { describe, expect, it } from 'vitest';
import { findChallenge, parseChallenges } from './challenge.ts';

describe('parseChallenges', () => {
  it('reads a registry bearer challenge', () => {
    expect(parseChallenges('Bearer realm="http://127.0.0.1:5000/token",service="127.0.0.1:5000",scope="repository:team/app:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:5000/token', service: '127.0.0.1:5000', scope: 'repository:team/app:pull,push' } },
    ]);
  });

  it('reads several challenges, unquoted values, escapes and odd spacing', () => {
    const parsed = parseChallenges('Basic realm="a \\"b\\"", charset=UTF-8 ,  bearer realm = "http://h/t" , error=insufficient_scope');
    expect(parsed).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"', charset: 'UTF-8' } },
      { scheme: 'bearer', params: { realm: 'http://h/t', error: 'insufficient_scope' } },
    ]);
  });

  it('gives nothing for absent or unparseable headers', () => {
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('"oops"')).toEqual([]);
  });
});

describe('findChallenge', () => {
  it('finds a scheme case-insensitively', () => {
    expect(findChallenge('BASIC realm="x"', 'basic')?.params.realm).toBe('x');
    expect(findChallenge('Basic realm="x"', 'bearer')).toBeUndefined();
  });
});
