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

export interface HubContext {
  config: HubConfig;
  registry: Registry;
  /** Answers `/readyz`: true while the Hub's backends are usable. */
  ready(): boolean;
  quiet?: boolean;
}

export function createApp(hub: HubContext): Hono {
  const app = new Hono();
  if (!hub.quiet) app.use('*', requestLog());
  app.use('/v2/*', async (c, next) => {
    await next();
    c.res.headers.set('Docker-Distribution-API-Version', 'registry/2.0');
  });

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) => (hub.ready() ? c.text('ready') : c.text('not ready', 503)));

  // Order matters where patterns overlap: uploads before blobs, catalog before repositories.
  app.route('/', baseRoutes());
  app.route('/', catalogRoutes(hub.registry));
  app.route('/', uploadRoutes(hub.registry));
  app.route('/', blobRoutes(hub.registry));
  app.route('/', manifestRoutes(hub.registry, hub.config.maxManifestBytes));
  app.route('/', tagRoutes(hub.registry));
  app.route('/', referrerRoutes(hub.registry));
  app.route('/', gcRoutes(hub.registry));

  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
