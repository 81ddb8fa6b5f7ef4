/** `GET /v2/_catalog` with `n` / `last` pagination. */
import { Hono } from 'hono';
import type { Registry } from '../registry/registry.ts';
import { parsePageRequest } from '../registry/pagination.ts';
import { nextLink } from './listing.ts';

export function catalogRoutes(registry: Registry): Hono {
  const app = new Hono();
  app.get('/v2/_catalog', async (c) => {
    const request = parsePageRequest(c.req.query('n'), c.req.query('last'));
    const page = await registry.manifests.listRepositories(request);
    return c.json({ repositories: page.items }, 200, nextLink('/v2/_catalog', request, page));
  });
  return app;
}
