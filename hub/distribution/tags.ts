/** `GET /v2/<name>/tags/list` with `n` / `last` pagination. */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import { repositoryAccess, type AuthEnv } from '../auth/middleware.ts';
import type { Registry } from '../registry/registry.ts';
import { parsePageRequest } from '../registry/pagination.ts';
import { nextLink } from './listing.ts';
import { NAME, repositoryName } from './params.ts';

export function tagRoutes(registry: Registry, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get(`/v2/${NAME}/tags/list`, repositoryAccess(access, 'pull'), async (c) => {
    const name = repositoryName(c);
    const request = parsePageRequest(c.req.query('n'), c.req.query('last'));
    const page = await registry.manifests.listTags(name, request);
    return c.json({ name, tags: page.items }, 200, nextLink(`/v2/${name}/tags/list`, request, page));
  });
  return app;
}
