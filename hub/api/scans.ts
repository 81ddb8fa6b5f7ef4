/**
 * `GET /api/v1/repositories/NAME/manifests/REFERENCE/scan`: what the Hub found in an image (by
 * tag or digest) — its packages and their known vulnerabilities, worst first, with counts by
 * severity; for an index, each platform's image. Whoever may pull the repository may read it.
 * Findings that come with the image's base name it (`via`). A manifest not scanned yet answers with status `pending` (queued) or `not scanned`, not 404.
 */
import { Hono } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import { validateRepositoryName } from '../oci/names.ts';
import type { Registry } from '../registry/registry.ts';
import type { Database } from '../db/open.ts';
import { scanReport } from '../scanning/results.ts';

/**
 * @example
 * app.route('/', scanRoutes(registry, db));
 */
export function scanRoutes(registry: Registry, db: Database): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/api/v1/repositories/:name{.+}/manifests/:reference/scan', async (c) => {
    const name = validateRepositoryName(c.req.param('name'));
    await c.var.auth.require(name, 'pull');
    // MANIFEST_UNKNOWN or NAME_UNKNOWN, as the registry says them, when there is no such image.
    const manifest = await registry.manifests.get(name, c.req.param('reference'));
    return c.json(await scanReport(db, manifest.digest, { repository: name }));
  });

  return app;
}
