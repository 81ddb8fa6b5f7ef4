/**
 * Start-up and shutdown: config → storage + database → app → listen. On start the Hub prints
 * one line naming its address and where its blobs and metadata live, and where its web catalog is.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { FsBlobStore } from '../storage/fs.ts';
import type { BlobStore } from '../storage/blobstore.ts';
import { createApp } from './app.ts';
import { describeDatabase, type HubConfig, type StorageConfig } from './config.ts';
import { openDatabase, type OpenDatabase } from './db/open.ts';
import { createRegistry, type Registry } from './registry/registry.ts';
import { MANIFEST_CHANGES_CHANNEL } from './registry/manifest-cache.ts';
import { acquireDataDirLock } from './datadir-lock.ts';
import { HubMetrics } from './metrics.ts';
import { createAccessControl, type AccessControl } from './auth/access-control.ts';
import { generateSecret } from './auth/passwords.ts';
import { createHubFeatures } from './features.ts';
import { UI_BASE } from '../web/paths.ts';
import type { ScanService } from './scanning/service.ts';

/** How long requests in flight may take to finish once shutdown begins. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningHub {
  /** Base URL, e.g. `http://127.0.0.1:5000`. */
  url: string;
  /** Stops accepting requests, finishes the open ones and closes the backends. */
  close(): Promise<void>;
  /** The image scan service this Hub runs (its worker stops when the Hub closes). */
  scans: ScanService;
}

export interface HubBackends {
  store: BlobStore;
  database: OpenDatabase;
  registry: Registry;
  access: AccessControl;
  close(): Promise<void>;
}

/** The blob store the configuration names. */
export async function openBlobStore(storage: StorageConfig): Promise<BlobStore> {
  if (storage.kind === 'fs') return new FsBlobStore(storage.root);
  const { S3BlobStore } = await import('../storage/s3.ts');
  return new S3BlobStore(storage);
}

/** Opens the blob store and the database named by the configuration. */
export async function openBackends(config: HubConfig): Promise<HubBackends> {
  const store = await openBlobStore(config.storage);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pool: config.databasePool,
    pgliteDir: join(config.dataDir, 'db'),
    description: describeDatabase(config),
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const registry = createRegistry(database.db, store);
  await shareChangesWithReplicas(database, registry);
  const access = await createAccessControl(database.db, config.auth, config.dataDir).catch(async (err: unknown) => {
    await database.close();
    await store.close();
    throw err;
  });
  return {
    store,
    database,
    registry,
    access,
    async close() {
      await access.close();
      await database.close();
      await store.close();
    },
  };
}


/**
 * Replicas cache manifests: each announces the repositories it changed, and forgets what it
 * cached of those the others announce.
 */
async function shareChangesWithReplicas(database: OpenDatabase, registry: Registry): Promise<void> {
  await database.listen(MANIFEST_CHANGES_CHANNEL, (repository) => registry.manifests.forget(repository));
  registry.events.on(async (event) => database.notify(MANIFEST_CHANGES_CHANNEL, event.repository));
}

/**
 * @example
 * const hub = await startHub(loadConfig());
 * // ... later
 * await hub.close();
 */
export async function startHub(config: HubConfig, options: { quiet?: boolean } = {}): Promise<RunningHub> {
  // The embedded database belongs to one process: a second Hub on the same data must not start.
  const lock = config.databaseUrl ? undefined : await acquireDataDirLock(config.dataDir);
  const backends = await openBackends(config).catch(async (err: unknown) => {
    await lock?.release();
    throw err;
  });
  await backends.access.bootstrap(options).catch(async (err: unknown) => {
    await backends.close();
    await lock?.release();
    throw err;
  });
  let accepting = true;
  const ready = async () => {
    if (!accepting) throw new Error('shutting down');
    await Promise.all([backends.database.ping(), backends.store.check()]);
  };
  const operatorSecret = generateSecret();
  // Only a serving Hub scans and records layers; `nocker hub gc` and other users of the backends do not.
  const features = createHubFeatures(backends.database.db, backends.registry, { quiet: options.quiet });
  const { scans } = features;
  const app = createApp({
    config,
    registry: backends.registry,
    db: backends.database.db,
    scans,
    layers: features.layers,
    access: backends.access,
    policies: backends.access.policies,
    metrics: new HubMetrics(),
    ready,
    quiet: options.quiet,
    operatorSecret,
  });

  let server: ServerType;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: config.listen.host, port: config.listen.port }, (info) => resolve(info));
    server.once('error', reject);
  }).catch(async (err: NodeJS.ErrnoException) => {
    await backends.close();
    await lock?.release();
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${err.code ?? err.message}`);
  });

  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  await lock?.setUrl(url, operatorSecret);
  features.start();
  if (!options.quiet) {
    console.log(`nocker hub listening on ${url} · blobs ${backends.store.description} · metadata ${backends.database.description}`);
    console.log(`nocker hub web catalog: ${url}${UI_BASE}/`);
  }

  return {
    url,
    scans,
    async close() {
      accepting = false;
      // The features first: they finish their work while the database is still open.
      await features.close();
      // Stop accepting, let requests in flight finish for a bounded time, then cut the rest.
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, SHUTDOWN_GRACE_MS);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await backends.close();
      await lock?.release();
    },
  };
}
