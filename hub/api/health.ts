/**
 * `GET /api/v1/health`: how the Hub is doing, for administrators — whether its storage and
 * database answer, how much scan work waits, the last garbage collections and the
 * vulnerability database version.
 */
import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import type { HubContext } from '../app.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import type { BackendHealth, GcRun, HubHealth } from '../client/health.ts';
import { scanQueueDepth } from '../scanning/queue.ts';
import type { VulnerabilityDatabase } from '../vulndb/store.ts';
import { GC_AUDIT_ACTION } from './gc.ts';

/** How long each probe may take before the backend counts as unreachable. */
export const PROBE_TIMEOUT_MS = 3_000;
/** Garbage collection runs the answer lists. */
const GC_RUNS_LISTED = 10;

/**
 * Settles with `undefined` when `probe` resolves within `ms`, or with why it did not.
 *
 * @example
 * await probeWithin(() => db.execute(sql`select 1`), 3000); // undefined, or 'timed out after 3000 ms'
 */
export async function probeWithin(probe: () => Promise<unknown>, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([probe().then(() => undefined), timeout]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

function health<D extends string>(driver: D, error: string | undefined): BackendHealth<D> {
  return error === undefined ? { driver, ok: true } : { driver, ok: false, error };
}

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** A `gc` audit entry as a run; entries written by older Hubs may lack fields. */
function gcRunOf(entry: { at: Date; actor: string; outcome: string; detail?: Record<string, unknown> }): GcRun {
  const d = entry.detail ?? {};
  const run: GcRun = {
    at: entry.at.toISOString(),
    actor: entry.actor,
    outcome: entry.outcome === 'success' ? 'success' : 'failure',
    dryRun: d.dryRun === true,
    deleteUntagged: d.deleteUntagged === true,
  };
  for (const key of ['manifests', 'blobs', 'uploads', 'bytesFreed'] as const) {
    const n = numberOr(d[key]);
    if (n !== undefined) run[key] = n;
  }
  if (typeof d.error === 'string') run.error = d.error;
  return run;
}

/**
 * @example
 * app.route('/', healthRoutes(hub, vulndb));
 */
export function healthRoutes(hub: HubContext, vulndb: VulnerabilityDatabase): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/api/v1/health', async (c) => {
    await c.var.auth.requireAdmin();
    // The readiness check is the database's `select 1` and the blob store's check together: the
    // database is probed alone, and what else makes the readiness check fail is the storage.
    const [databaseError, readyError] = await Promise.all([probeWithin(() => hub.db.execute(sql`select 1`), PROBE_TIMEOUT_MS), probeWithin(() => hub.ready(), PROBE_TIMEOUT_MS)]);
    const storageError = readyError === undefined ? undefined : databaseError === undefined ? readyError : `not known: the readiness check stopped at the database (${readyError})`;
    const database = health(hub.config.databaseUrl ? 'postgresql' : 'pglite', databaseError);
    const storage = health(hub.config.storage.kind, storageError);

    // Without a database the rest cannot be read: say so in the backends, not as a 500.
    if (databaseError !== undefined) {
      const answer: HubHealth = { storage, database, scanQueue: { queued: 0, running: 0, retrying: 0, failed: 0 }, gc: { runs: [] }, vulndbVersion: null };
      return c.json(answer, 503);
    }
    const [scanQueue, runs, vulndbVersion] = await Promise.all([
      scanQueueDepth(hub.db),
      hub.access.audit.query({ action: GC_AUDIT_ACTION, limit: GC_RUNS_LISTED }),
      vulndb.version(),
    ]);
    const answer: HubHealth = { storage, database, scanQueue, gc: { runs: runs.entries.map(gcRunOf) }, vulndbVersion };
    return c.json(answer);
  });
  return app;
}
