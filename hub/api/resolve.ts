/**
 * `GET /api/v1/repositories/NAME/resolve?range=RANGE`: the highest tag of a repository that
 * satisfies a semantic version range, with the digest it points at — how a build pins an
 * artifact dependency such as `libs/runtime:^1.2`. Whoever may pull the repository may ask.
 */
import { Hono } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import { compareSemver, parseSemver } from '../scanning/versions/semver.ts';
import { InvalidRangeError, maxSatisfying, parseRange, type SemverRange } from '../deps/semver-range.ts';
import { OciError } from '../oci/errors.ts';
import { validateRepositoryName } from '../oci/names.ts';
import type { Registry } from '../registry/registry.ts';

/** What the endpoint answers. */
export interface Resolution {
  repository: string;
  range: string;
  tag: string;
  digest: string;
  mediaType: string;
}

/** Tags are read in pages of this many, so that a repository with many tags is not one query. */
const PAGE = 1000;
/** How many tags a "none satisfies" message lists. */
const LISTED = 20;

async function allTags(registry: Registry, name: string): Promise<string[]> {
  const tags: string[] = [];
  let last: string | undefined;
  for (;;) {
    const page = await registry.manifests.listTags(name, { limit: PAGE, last });
    tags.push(...page.items);
    if (!page.more || page.items.length === 0) return tags;
    last = page.items[page.items.length - 1];
  }
}

const isSemver = (tag: string) => {
  try {
    parseSemver(tag);
    return true;
  } catch {
    return false;
  }
};

/** `1.0.0, 2.0.0`: the SemVer tags a range could have matched, lowest first, a few at most. */
function listedTags(tags: string[]): string {
  const versions = tags.filter(isSemver).sort((a, b) => compareSemver(a, b) || (a < b ? -1 : 1));
  if (versions.length === 0) return tags.length === 0 ? 'none' : 'none is a SemVer version';
  const shown = versions.length > LISTED ? [...versions.slice(0, 3), '…', ...versions.slice(-(LISTED - 3))] : versions;
  return shown.join(', ');
}

/**
 * The routes of the resolve endpoint.
 *
 * @example
 * app.route('/', resolveRoutes(registry));
 * // GET /api/v1/repositories/libs/runtime/resolve?range=%5E1.2
 * // → { repository: 'libs/runtime', range: '^1.2', tag: '1.2.5', digest: 'sha256:…', mediaType: '…' }
 */
export function resolveRoutes(registry: Registry): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/api/v1/repositories/:name{.+}/resolve', async (c) => {
    const name = validateRepositoryName(c.req.param('name'));
    await c.var.auth.require(name, 'pull');
    const text = c.req.query('range');
    if (text === undefined) throw new OciError('REQUEST_INVALID', 'give the version range to resolve: ?range=^1.2');
    let range: SemverRange;
    try {
      range = parseRange(text);
    } catch (err) {
      if (err instanceof InvalidRangeError) throw new OciError('REQUEST_INVALID', err.message);
      throw err;
    }
    const tags = await allTags(registry, name);
    const tag = maxSatisfying(tags, range);
    if (tag === undefined) {
      throw new OciError('MANIFEST_UNKNOWN', `no tag of ${name} satisfies ${range.text || '*'} (tags: ${listedTags(tags)})`, { detail: { repository: name, range: range.text } });
    }
    // The tag may have moved or gone since the listing; get() then answers MANIFEST_UNKNOWN.
    const manifest = await registry.manifests.get(name, tag);
    const answer: Resolution = { repository: name, range: range.text, tag, digest: manifest.digest, mediaType: manifest.mediaType };
    return c.json(answer);
  });

  return app;
}
