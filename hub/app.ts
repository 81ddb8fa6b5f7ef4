/**
 * Builds the Hub's HTTP application from its context. No module-level state: tests build as
 * many Hubs as they like in one process.
 */
import { Hono } from 'hono';
import type { HubConfig } from './config.ts';
import type { Database } from './db/open.ts';
import type { Registry } from './registry/registry.ts';
import { baseRoutes } from './distribution/base.ts';
import { blobRoutes } from './distribution/blobs.ts';
import { catalogRoutes } from './distribution/catalog.ts';
import { handleError, handleNotFound } from './distribution/errors.ts';
import { manifestRoutes } from './distribution/manifests.ts';
import { createSignatureGate } from './policy/gate.ts';
import { createVulnerabilityGate } from './policy/vulnerability-gate.ts';
import { createVulnerabilityPolicyStore } from './policy/vulnerability-store.ts';
import { vulnerabilityPolicyRoutes } from './api/vulnerability-policies.ts';
import { referrerRoutes } from './distribution/referrers.ts';
import { tagRoutes } from './distribution/tags.ts';
import { uploadRoutes } from './distribution/uploads.ts';
import { requestLog } from './log.ts';
import { gcRoutes } from './api/gc.ts';
import { healthRoutes } from './api/health.ts';
import { managementRoutes } from './api/routes.ts';
import { signatureRoutes } from './api/signatures.ts';
import { vulndbRoutes } from './api/vulndb.ts';
import { createVulnerabilityDatabase } from './vulndb/store.ts';
import { scanRoutes } from './api/scans.ts';
import type { ScanService } from './scanning/service.ts';
import { dependencyRoutes } from './api/deps.ts';
import type { LayerRecorder } from './deps/record.ts';
import { resolveRoutes } from './api/resolve.ts';
import { catalogApiRoutes } from './api/catalog.ts';
import type { HubMetrics } from './metrics.ts';
import type { AccessControl } from './auth/access-control.ts';
import type { TrustPolicyStore } from './policy/store.ts';
import { authenticate, type AuthEnv } from './auth/middleware.ts';
import { tokenRoutes } from './auth/token-routes.ts';
import { webCatalog } from '../web/app.ts';
import { UI_BASE } from '../web/paths.ts';

export interface HubContext {
  config: HubConfig;
  registry: Registry;
  /** The metadata database, for the Hub's features (scanning, vulnerability database, dependencies). */
  db: Database;
  access: AccessControl;
  metrics: HubMetrics;
  /** The background features of a serving Hub (hub/features.ts); absent in apps built without them. */
  scans?: ScanService;
  layers?: LayerRecorder;
  /** Trust policies, for the registry's pulls (the management API reaches them through `access`). */
  policies: TrustPolicyStore;
  /** Lets `nocker hub gc` on this machine act as administrator (see datadir-lock.ts). */
  operatorSecret?: string;
  /** Answers `/readyz`: resolves when the Hub can serve, rejects saying what is wrong. */
  ready(): Promise<void>;
  quiet?: boolean;
}

export function createApp(hub: HubContext): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { registry, access } = hub;
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

  // Every registry and API route sees who is asking; each route then checks what it needs.
  app.use('/v2/*', authenticate(access));
  app.use('/api/v1/*', authenticate(access));
  app.route('/', tokenRoutes(access));

  // Order matters where patterns overlap: uploads before blobs, catalog before repositories.
  app.route('/', baseRoutes());
  app.route('/', catalogRoutes(registry, access));
  app.route('/', uploadRoutes(registry, access));
  app.route('/', blobRoutes(registry, access));
  // Trust first, then vulnerabilities: either refusal refuses the pull.
  const vulnerabilityPolicies = createVulnerabilityPolicyStore(hub.db);
  const gates = [createSignatureGate(registry, hub.policies), createVulnerabilityGate(hub.db, vulnerabilityPolicies)];
  app.route('/', manifestRoutes(registry, access, hub.config.maxManifestBytes, gates));
  app.route('/', tagRoutes(registry, access));
  app.route('/', referrerRoutes(registry, access));
  app.route('/', gcRoutes(registry, hub.metrics, hub.operatorSecret, access));
  const vulndb = createVulnerabilityDatabase(hub.db);
  app.route('/', healthRoutes(hub, vulndb));
  app.route('/', managementRoutes(access));
  app.route('/', vulnerabilityPolicyRoutes(access, vulnerabilityPolicies));
  app.route('/', signatureRoutes(registry, hub.policies));
  // An import queues a new match of the images holding packages the changed records name.
  app.route('/', vulndbRoutes(access, vulndb, { onImported: async (ids) => (hub.scans ? hub.scans.rematchAffected(ids) : 0) }));
  app.route('/', scanRoutes(registry, hub.db));
  // The dependency graph reads the layer stacks the recorder keeps.
  if (hub.layers) app.route('/', dependencyRoutes(hub.db, registry, hub.layers, hub.config.auth.publicUrl));
  app.route('/', resolveRoutes(registry));
  app.route('/', catalogApiRoutes({ db: hub.db, registry, policies: hub.policies }, access));

  // The web catalog, a client of the routes above: its pages call them in process.
  app.get('/', (c) => c.redirect(`${UI_BASE}/`));
  app.route(UI_BASE, webCatalog({ access, fetch: (request: Request, env: unknown) => app.fetch(request, env) }));

  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
