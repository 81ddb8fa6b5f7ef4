/** `GET /v2/_catalog` with `n` / `last` pagination, listing only what the caller may pull. */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import type { Registry } from '../registry/registry.ts';
import { parsePageRequest } from '../registry/pagination.ts';
import { nextLink } from './listing.ts';

export function catalogRoutes(registry: Registry, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/v2/_catalog', async (c) => {
    const auth = c.var.auth;
    await auth.requireCatalog();
    const request = parsePageRequest(c.req.query('n'), c.req.query('last'));
    const readable = auth.open ? 'all' : await access.namespaces.readableBy(await auth.identity());
    const page = await registry.manifests.listRepositories(request, readable === 'all' ? undefined : readable);
    return c.json({ repositories: page.items }, 200, nextLink('/v2/_catalog', request, page));
  });
  return app;
}
