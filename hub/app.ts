/**
 * Builds the Hub's HTTP application from its context. No module-level state: tests build as
 * many Hubs as they like in one process.
 */
import { Hono } from 'hono';
import type { HubConfig } from './config.ts';
import type { Registry } from './registry/registry.ts';
import { baseRoutes } from './distribution/base.ts';
import { blobRoutes } from './distribution/blobs.ts';
import { catalogRoutes } from './distribution/catalog.ts';
import { handleError, handleNotFound } from './distribution/errors.ts';
import { manifestRoutes } from './distribution/manifests.ts';
import { referrerRoutes } from './distribution/referrers.ts';
import { tagRoutes } from './distribution/tags.ts';
import { uploadRoutes } from './distribution/uploads.ts';
import { requestLog } from './log.ts';
import { gcRoutes } from './api/gc.ts';
import type { HubMetrics } from './metrics.ts';

export interface HubContext {
  config: HubConfig;
  registry: Registry;
  metrics: HubMetrics;
  /** Answers `/readyz`: resolves when the Hub can serve, rejects saying what is wrong. */
  ready(): Promise<void>;
  quiet?: boolean;
}

export function createApp(hub: HubContext): Hono {
  const app = new Hono();
  app.use('*', hub.metrics.middleware());
  if (!hub.quiet) app.use('*', requestLog());
  app.use('/v2/*', async (c, next) => {
    await next();
    c.res.headers.set('Docker-Distribution-API-Version', 'registry/2.0');
  });

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) =>
    hub.ready().then(
      () => c.text('ready'),
      (err: unknown) => c.text(`not ready: ${err instanceof Error ? err.message : String(err)}`, 503),
    ),
  );
  app.get('/metrics', async (c) => c.body(await hub.metrics.registry.metrics(), 200, { 'Content-Type': hub.metrics.registry.contentType }));

  // Order matters where patterns overlap: uploads before blobs, catalog before repositories.
  app.route('/', baseRoutes());
  app.route('/', catalogRoutes(hub.registry));
  app.route('/', uploadRoutes(hub.registry));
  app.route('/', blobRoutes(hub.registry));
  app.route('/', manifestRoutes(hub.registry, hub.config.maxManifestBytes));
  app.route('/', tagRoutes(hub.registry));
  app.route('/', referrerRoutes(hub.registry));
  app.route('/', gcRoutes(hub.registry, hub.metrics));

  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
