import { describe, expect, it } from 'vitest';
import { routeOf } from './metrics.ts';

describe('routeOf', () => {
  it('names the API resource of a path, whatever the repository', () => {
    expect(routeOf('/v2/')).toBe('base');
    expect(routeOf('/v2/_catalog')).toBe('catalog');
    expect(routeOf('/v2/a/b/blobs/uploads/')).toBe('upload');
    expect(routeOf('/v2/a/blobs/uploads/123')).toBe('upload');
    expect(routeOf('/v2/a/blobs/sha256:00')).toBe('blob');
    expect(routeOf('/v2/team/app/manifests/v1')).toBe('manifest');
    expect(routeOf('/v2/a/tags/list')).toBe('tags');
    expect(routeOf('/v2/a/referrers/sha256:00')).toBe('referrers');
    expect(routeOf('/api/v1/gc')).toBe('api');
    expect(routeOf('/metrics')).toBe('ops');
    expect(routeOf('/anything/else')).toBe('other');
  });
});
