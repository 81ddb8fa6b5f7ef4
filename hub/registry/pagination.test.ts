import { describe, expect, it } from 'vitest';
import { OciError } from '../oci/errors.ts';
import { parsePageRequest, toPage } from './pagination.ts';
import { thrownBy } from '../oci/thrown.ts';

describe('parsePageRequest', () => {
  it('asks for everything when neither n nor last is given', () => {
    expect(parsePageRequest(undefined, undefined)).toEqual({ last: undefined });
    expect(parsePageRequest('', '')).toEqual({ last: undefined });
  });

  it('reads n as the limit', () => {
    expect(parsePageRequest('10', undefined)).toEqual({ limit: 10, last: undefined });
    expect(parsePageRequest('0', undefined)).toEqual({ limit: 0, last: undefined });
    expect(parsePageRequest('007', undefined)).toEqual({ limit: 7, last: undefined });
    expect(parsePageRequest('999999999', undefined)).toEqual({ limit: 999999999, last: undefined });
  });

  it('reads last, with or without n', () => {
    expect(parsePageRequest('5', 'v1.0')).toEqual({ limit: 5, last: 'v1.0' });
    expect(parsePageRequest(undefined, 'library/ubuntu')).toEqual({ last: 'library/ubuntu' });
    expect(parsePageRequest('', 'b')).toEqual({ last: 'b' });
  });

  it.each(['-1', 'abc', '1.5', '1e3', ' 5', '+5', '0x10'])(
    'rejects n=%j with PAGINATION_NUMBER_INVALID (400)',
    (n) => {
      const err = thrownBy(() => parsePageRequest(n, undefined), OciError);
      expect(err.code).toBe('PAGINATION_NUMBER_INVALID');
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/n must be a whole number/);
    },
  );

  it('quotes only the start of a long invalid n', () => {
    const err = thrownBy(() => parsePageRequest(`x${'9'.repeat(200)}`, undefined), OciError);
    expect(err.message.length).toBeLessThan(100);
  });
});

describe('toPage', () => {
  it('returns every row when there is no limit', () => {
    expect(toPage(['a', 'b', 'c'], undefined)).toEqual({ items: ['a', 'b', 'c'], more: false });
    expect(toPage([], undefined)).toEqual({ items: [], more: false });
  });

  it('returns every row, with no more, when they fit in the limit', () => {
    expect(toPage(['a', 'b'], 2)).toEqual({ items: ['a', 'b'], more: false });
    expect(toPage(['a'], 5)).toEqual({ items: ['a'], more: false });
    expect(toPage([], 0)).toEqual({ items: [], more: false });
  });

  it('trims the extra row and reports that more remain', () => {
    expect(toPage(['a', 'b', 'c'], 2)).toEqual({ items: ['a', 'b'], more: true });
    expect(toPage(['a'], 0)).toEqual({ items: [], more: true });
  });
});
