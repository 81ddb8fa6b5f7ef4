/**
 * The catalog API: repositories and their tags in detail, as the web catalog's Explore and
 * Repository pages (and any client, through hub/client/catalog.ts) read them.
 *
 * - `GET /api/v1/repositories?q=&namespace=&sort=&limit=&offset=`: repositories the caller may pull.
 * - `GET /api/v1/repositories/NAME/tags?q=&sort=&order=&limit=&offset=`: a page of tags (pull on NAME).
 * - `GET /api/v1/repositories/NAME`: one repository, its description and what the caller may do there.
 *
 * This module reads the parameters and checks access; the queries are in hub/catalog/.
 */
import { Hono, type Context } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import type { RepositoryAction } from '../auth/scopes.ts';
import { REPOSITORY_SORTS, TAG_SORTS, type RepositoryDetails } from '../client/catalog.ts';
import { describeRepository } from '../catalog/description.ts';
import { findRepositorySummary, searchRepositoryPage } from '../catalog/repositories.ts';
import type { CatalogBackends } from '../catalog/summaries.ts';
import { listTagPage } from '../catalog/tags.ts';
import { OciError } from '../oci/errors.ts';
import { validateRepositoryName } from '../oci/names.ts';

const ACTIONS: readonly RepositoryAction[] = ['pull', 'push', 'delete'];
/** Longest search text: a repository name is at most 255 characters. */
const MAX_QUERY_LENGTH = 255;

function invalid(message: string, field: string): OciError {
  return new OciError('REQUEST_INVALID', message, { detail: { field } });
}

/** An integer query parameter within bounds, or the default when absent. */
function integerParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalid(`${name} must be a whole number from ${min} to ${max}, got "${raw.slice(0, 40)}"`, name);
  return Number(raw);
}

/** One of `allowed`, or the default when absent. */
function choiceParam<T extends string>(c: Context, name: string, allowed: readonly T[], fallback: T): T {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw invalid(`${name} must be one of ${allowed.join(', ')}, got "${raw.slice(0, 40)}"`, name);
  return raw as T;
}

function textParam(c: Context, name: string): string | undefined {
  const raw = c.req.query(name)?.trim();
  if (!raw) return undefined;
  if (raw.length > MAX_QUERY_LENGTH) throw invalid(`${name} must be at most ${MAX_QUERY_LENGTH} characters`, name);
  return raw;
}

/** The repository's row, or NAME_UNKNOWN. */
async function requireRepository(backends: CatalogBackends, name: string) {
  const summary = await findRepositorySummary(backends, name);
  if (!summary) throw new OciError('NAME_UNKNOWN', `repository ${name} is not known to this Hub`);
  return summary;
}

/**
 * @example
 * app.route('/', catalogApiRoutes({ db, registry, policies }, access));
 */
export function catalogApiRoutes(backends: CatalogBackends, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/api/v1/repositories', async (c) => {
    const auth = c.var.auth;
    const listing = {
      q: textParam(c, 'q'),
      namespace: textParam(c, 'namespace'),
      sort: choiceParam(c, 'sort', REPOSITORY_SORTS, 'pushed'),
      limit: integerParam(c, 'limit', 24, 1, 100),
      offset: integerParam(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    };
    // As /v2/_catalog: anonymous callers see public namespaces, accounts what they may read.
    const visible = auth.open ? 'all' : await access.namespaces.readableBy(await auth.identity());
    return c.json(await searchRepositoryPage(backends, visible, listing));
  });

  // Before the details route: `/:name{.+}` would take `team/app/tags` as a repository name.
  app.get('/api/v1/repositories/:name{.+}/tags', async (c) => {
    const name = validateRepositoryName(c.req.param('name'));
    const sort = choiceParam(c, 'sort', TAG_SORTS, 'pushed');
    const listing = {
      q: textParam(c, 'q'),
      sort,
      order: choiceParam(c, 'order', ['asc', 'desc'] as const, sort === 'name' ? 'asc' : 'desc'),
      limit: integerParam(c, 'limit', 25, 1, 100),
      offset: integerParam(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    };
    await c.var.auth.require(name, 'pull');
    const repository = await requireRepository(backends, name);
    return c.json(await listTagPage(backends, { id: repository.id, name }, listing));
  });

  app.get('/api/v1/repositories/:name{.+}', async (c) => {
    const name = validateRepositoryName(c.req.param('name'));
    const auth = c.var.auth;
    await auth.require(name, 'pull');
    const { id, ...summary } = await requireRepository(backends, name);
    let actions: RepositoryAction[];
    if (auth.open) actions = [...ACTIONS];
    else if (auth.credential.kind === 'bearer') {
      // A token may grant less than its account's role: what it grants is what will work.
      actions = [];
      for (const action of ACTIONS) if (await auth.can(name, action)) actions.push(action);
    } else {
      const allowed = await access.actionsOn(await auth.identity(), name);
      actions = ACTIONS.filter((action) => allowed.has(action));
    }
    const details: RepositoryDetails = {
      ...summary,
      description: await describeRepository(backends.db, backends.registry, name, id, summary.latest?.digest),
      actions,
    };
    return c.json(details);
  });

  return app;
}
