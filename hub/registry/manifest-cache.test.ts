import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManifestCache } from './manifest-cache.ts';
import type { StoredManifest } from './manifests.ts';

const manifest = (size: number, digest = `sha256:${'a'.repeat(64)}`): StoredManifest => ({
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  content: new Uint8Array(size),
});

describe('ManifestCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves what was stored under the generation it was read with', () => {
    const cache = new ManifestCache();
    const m = manifest(10);
    cache.set('a/b', 'v1', m, cache.generation('a/b'));
    expect(cache.get('a/b', 'v1')).toBe(m);
    expect(cache.get('a/b', 'v2')).toBeUndefined();
    expect(cache.get('a/c', 'v1')).toBeUndefined();
  });

  it('drops a repository at once when it changes, and only that repository', () => {
    const cache = new ManifestCache();
    cache.set('a/b', 'v1', manifest(10), cache.generation('a/b'));
    cache.set('a/c', 'v1', manifest(10), cache.generation('a/c'));
    cache.invalidate('a/b');
    expect(cache.get('a/b', 'v1')).toBeUndefined();
    expect(cache.get('a/c', 'v1')).toBeDefined();
  });

  it('refuses what a read found if the repository changed while it was reading', () => {
    const cache = new ManifestCache();
    const before = cache.generation('a/b');
    cache.invalidate('a/b'); // a push lands during the read
    cache.set('a/b', 'v1', manifest(10), before);
    expect(cache.get('a/b', 'v1')).toBeUndefined();
  });

  it('forgets entries after their time to live', () => {
    vi.useFakeTimers();
    const cache = new ManifestCache({ maxBytes: 1024, ttlMs: 1000 });
    cache.set('a/b', 'v1', manifest(10), 0);
    vi.advanceTimersByTime(999);
    expect(cache.get('a/b', 'v1')).toBeDefined();
    vi.advanceTimersByTime(2);
    expect(cache.get('a/b', 'v1')).toBeUndefined();
  });

  it('keeps within its byte budget, evicting the least recently used first', () => {
    const cache = new ManifestCache({ maxBytes: 1000, ttlMs: 60_000 });
    cache.set('r', 'one', manifest(200), 0);
    cache.set('r', 'two', manifest(200), 0);
    cache.set('r', 'three', manifest(200), 0);
    cache.set('r', 'four', manifest(200), 0);
    cache.get('r', 'one'); // recently used again
    cache.set('r', 'five', manifest(250), 0);
    expect(cache.get('r', 'two')).toBeUndefined();
    expect(cache.get('r', 'one')).toBeDefined();
    expect(cache.get('r', 'five')).toBeDefined();
    cache.set('r', 'huge', manifest(600), 0); // over a quarter of the budget: not cached
    expect(cache.get('r', 'huge')).toBeUndefined();
  });
});
