/**
 * `POST /api/v1/gc`: runs garbage collection inside the running Hub. `nocker hub gc` uses it when
 * the Hub holds the embedded database, which only one process may open.
 */
import { Hono } from 'hono';
import { OciError } from '../oci/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { GcOptions } from '../registry/gc.ts';
import type { HubMetrics } from '../metrics.ts';

export function gcRoutes(registry: Registry, metrics: HubMetrics): Hono {
  const app = new Hono();
  app.post('/api/v1/gc', async (c) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new OciError('UNSUPPORTED', 'expected a JSON body with dryRun, deleteUntagged, gracePeriodMs and uploadExpiryMs', { status: 400 });
    });
    const options = parseGcOptions(body);
    try {
      const report = await registry.collectGarbage(options);
      metrics.gcRuns.inc({ result: 'ok' });
      return c.json(report);
    } catch (err) {
      metrics.gcRuns.inc({ result: 'failed' });
      throw err;
    }
  });
  return app;
}

/** Checks a GC request body field by field. */
export function parseGcOptions(body: unknown): GcOptions {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const flag = (key: string) => {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw badField(key, 'true or false');
    return o[key] === true;
  };
  const duration = (key: string, fallback: number) => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badField(key, 'a whole number of milliseconds');
    return v;
  };
  return {
    dryRun: flag('dryRun'),
    deleteUntagged: flag('deleteUntagged'),
    gracePeriodMs: duration('gracePeriodMs', 3_600_000),
    uploadExpiryMs: duration('uploadExpiryMs', 86_400_000),
  };
}

function badField(key: string, expected: string): OciError {
  return new OciError('UNSUPPORTED', `${key} must be ${expected}`, { status: 400 });
}
