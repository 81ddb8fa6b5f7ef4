import { describe, expect, it } from 'vitest';
import type { ScannedPackage } from '../types.ts';
import { contentHash, imageCreated, uniquePackages, uuidFromHash } from './identity.ts';

describe('imageCreated', () => {
  it('writes the image date to the second, and nothing for none or nonsense', () => {
    expect(imageCreated({ created: '2024-05-01T10:20:30.123456789Z' })).toBe('2024-05-01T10:20:30Z');
    expect(imageCreated({ created: '2024-05-01T12:20:30+02:00' })).toBe('2024-05-01T10:20:30Z');
    expect(imageCreated({ created: '1970-01-01T00:00:00Z' })).toBe('1970-01-01T00:00:00Z');
    expect(imageCreated({})).toBeUndefined();
    expect(imageCreated({ created: 'yesterday' })).toBeUndefined();
  });
});

describe('uuidFromHash and contentHash', () => {
  it('make a version 5 UUID that depends on every part and on where parts end', () => {
    const uuid = uuidFromHash(contentHash(['a', 'b']));
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFromHash(contentHash(['a', 'b']))).toBe(uuid);
    expect(contentHash(['ab', ''])).not.toBe(contentHash(['a', 'b']));
    expect(() => uuidFromHash('xyz')).toThrow('32 hex digits');
  });
});

describe('uniquePackages', () => {
  it('keeps one package per purl, in purl order, with every licence and the first path', () => {
    const pkg = (purl: string, path: string, licenses?: string[]): ScannedPackage => ({ type: 'npm', name: purl, version: '1', path, purl, ...(licenses ? { licenses } : {}) });
    const unique = uniquePackages([pkg('pkg:npm/b@1', 'z', ['MIT']), pkg('pkg:npm/a@1', 'x'), pkg('pkg:npm/b@1', 'y', ['ISC', 'MIT'])]);
    expect(unique).toEqual([pkg('pkg:npm/a@1', 'x'), pkg('pkg:npm/b@1', 'y', ['ISC', 'MIT'])]);
  });
});
