/**
 * Content discovery: listing tags (with `n`, `last` and `Link` pagination) and the catalog.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import { expectError, http, nextLink, pushImage, pushManifest, uniqueRepo, type PushedImage } from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

interface TagList {
  name: string;
  tags: string[] | null;
}

interface Catalog {
  repositories: string[] | null;
}

/** Byte-wise (ASCII) order, as Go's sort.Strings. */
function asciiSorted(list: string[]): string[] {
  return [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function tagPage(repo: string, query = ''): Promise<{ res: Response; body: TagList }> {
  const res = await http(base, `/v2/${repo}/tags/list${query}`);
  expect(res.status, `tags/list${query}`).toBe(200);
  return { res, body: (await res.json()) as TagList };
}

describe('listing tags: GET /v2/<name>/tags/list', () => {
  const repo = uniqueRepo('tags');
  // Chosen so that byte order and case-insensitive order agree; punctuation sorts before digits.
  const tags = ['latest', 'v1', 'v1-0', 'v1.0', 'v10', 'v1_0', 'v2', '0.1', 'a', 'b', 'c'];
  const sorted = asciiSorted(tags);
  let image: PushedImage;

  beforeAll(async () => {
    image = await pushImage(base, repo);
    // Pushed out of order, so sorting is the Hub's work.
    for (const tag of [...tags].reverse()) await pushManifest(base, repo, tag, image.manifest);
  });

  it('MUST answer 200 with {name, tags} holding every tag', async () => {
    const { body } = await tagPage(repo);
    expect(body.name).toBe(repo);
    expect([...(body.tags ?? [])].sort()).toEqual([...tags].sort());
  });

  it('tags MUST be in lexical order', async () => {
    const { body } = await tagPage(repo);
    expect(body.tags).toEqual(sorted);
  });

  it('answers with a JSON Content-Type', async () => {
    const { res } = await tagPage(repo);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  });

  it('?n=<int> returns the first n tags, and a Link rel="next" when more exist', async () => {
    const { res, body } = await tagPage(repo, '?n=3');
    expect(body.tags).toEqual(sorted.slice(0, 3));
    const link = nextLink(res);
    expect(link, `Link header: ${res.headers.get('link')}`).toBeDefined();
    const url = new URL(link as string, base);
    expect(url.pathname).toBe(`/v2/${repo}/tags/list`);
    expect(url.searchParams.get('n')).toBe('3');
    expect(url.searchParams.get('last')).toBe(sorted[2]);
  });

  it('the Link header has the form </v2/<name>/tags/list?n=..&last=..>; rel="next"', async () => {
    const { res } = await tagPage(repo, '?n=2');
    expect(res.headers.get('link')).toMatch(/^<[^>]*\/v2\/[^>]*\/tags\/list\?[^>]*>;\s*rel="next"$/);
  });

  it('following Link headers walks every tag exactly once, in order; the last page has no Link', async () => {
    const seen: string[] = [];
    let target: string | undefined = `/v2/${repo}/tags/list?n=4`;
    let pages = 0;
    while (target) {
      const res = await http(base, target);
      expect(res.status).toBe(200);
      const body = (await res.json()) as TagList;
      seen.push(...(body.tags ?? []));
      target = nextLink(res);
      pages += 1;
      expect(pages).toBeLessThan(20);
    }
    expect(seen).toEqual(sorted);
    expect(pages).toBe(Math.ceil(tags.length / 4));
  });

  it('?n=<int>&last=<tag> returns up to n tags after <tag> (exclusive)', async () => {
    const last = sorted[3] as string;
    const { body } = await tagPage(repo, `?n=2&last=${encodeURIComponent(last)}`);
    expect(body.tags).toEqual(sorted.slice(4, 6));
  });

  it('?last=<tag> without n returns every tag after <tag>', async () => {
    const last = sorted[5] as string;
    const { body } = await tagPage(repo, `?last=${encodeURIComponent(last)}`);
    expect(body.tags).toEqual(sorted.slice(6));
  });

  it('?last=<tag> where <tag> itself does not exist continues after its lexical position', async () => {
    const { body } = await tagPage(repo, '?last=v1.5');
    expect(body.tags).toEqual(sorted.filter((t) => t > 'v1.5'));
  });

  it('?last= past the final tag returns an empty list and no Link', async () => {
    const { res, body } = await tagPage(repo, `?n=5&last=${sorted[sorted.length - 1]}`);
    expect(body.tags ?? []).toEqual([]);
    expect(res.headers.get('link')).toBeNull();
  });

  it('n=0 MUST return an empty list and MUST NOT include a Link header', async () => {
    const { res, body } = await tagPage(repo, '?n=0');
    expect(body.tags ?? []).toEqual([]);
    expect(res.headers.get('link')).toBeNull();
  });

  it('n larger than the number of tags returns them all, with no Link', async () => {
    const { res, body } = await tagPage(repo, '?n=1000');
    expect(body.tags).toEqual(sorted);
    expect(res.headers.get('link')).toBeNull();
  });

  it('n equal to the number of tags returns them all; a Link, if any, leads to an empty page', async () => {
    const { res, body } = await tagPage(repo, `?n=${tags.length}`);
    expect(body.tags).toEqual(sorted);
    const link = nextLink(res);
    if (link) {
      const next = await http(base, link);
      const nb = (await next.json()) as TagList;
      expect(nb.tags ?? []).toEqual([]);
    }
  });

  it('an invalid n (negative or not a number) is rejected with 400 or ignored, never a server error', async () => {
    for (const q of ['?n=-1', '?n=abc']) {
      const res = await http(base, `/v2/${repo}/tags/list${q}`);
      expect([200, 400], q).toContain(res.status);
      await res.arrayBuffer();
    }
  });

  it('mixed-case tags are listed in ASCII or case-insensitive lexical order', async () => {
    const r = uniqueRepo('tags-case');
    const img = await pushImage(base, r);
    const mixed = ['beta', 'Alpha', 'alpha2', 'Zulu', '_x', '9'];
    for (const t of mixed) await pushManifest(base, r, t, img.manifest);
    const { body } = await tagPage(r);
    const ascii = asciiSorted(mixed);
    const folded = [...mixed].sort((a, b) => {
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    expect([JSON.stringify(ascii), JSON.stringify(folded)]).toContain(JSON.stringify(body.tags));
  });

  it('a long tag list (110 tags) is returned whole without n, or continued through Link headers', async () => {
    const r = uniqueRepo('tags-many');
    const img = await pushImage(base, r);
    const many = Array.from({ length: 110 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    await Promise.all(many.map((t) => pushManifest(base, r, t, img.manifest)));
    const seen: string[] = [];
    let target: string | undefined = `/v2/${r}/tags/list`;
    for (let pages = 0; target; pages++) {
      expect(pages).toBeLessThan(120);
      const res = await http(base, target);
      expect(res.status).toBe(200);
      seen.push(...(((await res.json()) as TagList).tags ?? []));
      target = nextLink(res);
    }
    expect(seen).toEqual(many);
  });

  it('a repository that does not exist: 404 NAME_UNKNOWN', async () => {
    const res = await http(base, `/v2/${uniqueRepo('no-such')}/tags/list`);
    await expectError(res, 404, ['NAME_UNKNOWN']);
  });

  it('tags from other repositories are not listed', async () => {
    const other = uniqueRepo('tags-other');
    const img = await pushImage(base, other);
    await pushManifest(base, other, 'only-here', img.manifest);
    const { body } = await tagPage(repo);
    expect(body.tags).not.toContain('only-here');
    const { body: ob } = await tagPage(other);
    expect(ob.tags).toEqual(['only-here']);
  });

  it('works for nested repository names', async () => {
    const nested = `${uniqueRepo('tags-nested')}/x/y`;
    const img = await pushImage(base, nested);
    await pushManifest(base, nested, 'deep', img.manifest);
    const { body } = await tagPage(nested);
    expect(body).toEqual({ name: nested, tags: ['deep'] });
  });
});

describe('catalog: GET /v2/_catalog', () => {
  // This file's Hub holds only the repositories of this file; these all share the `cat/` prefix.
  const names = ['cat/b', 'cat/a/b', 'cat/a', 'cat/a.b', 'cat/a-b', 'cat/a_b', 'cat/z9', 'cat/a0'];
  const sorted = asciiSorted(names);

  beforeAll(async () => {
    for (const name of names) await pushImage(base, name, 'latest');
  });

  async function catalog(query = ''): Promise<{ res: Response; body: Catalog }> {
    const res = await http(base, `/v2/_catalog${query}`);
    expect(res.status, `_catalog${query}`).toBe(200);
    return { res, body: (await res.json()) as Catalog };
  }

  /** Only the repositories created by this describe block, in the order given. */
  const ours = (list: string[] | null): string[] => (list ?? []).filter((r) => r.startsWith('cat/'));

  it('answers 200 with {repositories} containing every repository', async () => {
    const { body } = await catalog();
    expect(Array.isArray(body.repositories)).toBe(true);
    for (const n of names) expect(body.repositories).toContain(n);
  });

  it('repositories are in lexical (byte) order', async () => {
    const { body } = await catalog();
    expect(body.repositories).toEqual(asciiSorted(body.repositories ?? []));
    expect(ours(body.repositories)).toEqual(sorted);
  });

  it('?n= limits the page and sets a Link rel="next" with n and last', async () => {
    const { body: all } = await catalog();
    const every = all.repositories ?? [];
    const { res, body } = await catalog('?n=2');
    expect(body.repositories).toEqual(every.slice(0, 2));
    const link = nextLink(res);
    expect(link, `Link: ${res.headers.get('link')}`).toBeDefined();
    const url = new URL(link as string, base);
    expect(url.pathname).toBe('/v2/_catalog');
    expect(url.searchParams.get('n')).toBe('2');
    expect(url.searchParams.get('last')).toBe(every[1]);
  });

  it('following Link headers lists every repository exactly once, in order', async () => {
    const { body: all } = await catalog();
    const seen: string[] = [];
    let target: string | undefined = '/v2/_catalog?n=3';
    let pages = 0;
    while (target) {
      const res = await http(base, target);
      expect(res.status).toBe(200);
      seen.push(...(((await res.json()) as Catalog).repositories ?? []));
      target = nextLink(res);
      pages += 1;
      expect(pages).toBeLessThan(50);
    }
    expect(seen).toEqual(all.repositories);
  });

  it('?last=<repo> continues after that repository', async () => {
    const { body } = await catalog(`?n=3&last=${encodeURIComponent('cat/a-b')}`);
    const { body: all } = await catalog();
    const every = all.repositories ?? [];
    const from = every.indexOf('cat/a-b') + 1;
    expect(body.repositories).toEqual(every.slice(from, from + 3));
  });

  it('n=0 returns an empty list and no Link', async () => {
    const { res, body } = await catalog('?n=0');
    expect(body.repositories ?? []).toEqual([]);
    expect(res.headers.get('link')).toBeNull();
  });

  it('the full catalog has no Link header', async () => {
    const { res } = await catalog();
    expect(res.headers.get('link')).toBeNull();
  });
});
