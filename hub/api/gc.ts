/**
 * `POST /api/v1/gc`: runs garbage collection inside the running Hub, for administrators. `nocker
 * hub gc` uses it when the Hub holds the embedded database, which only one process may open; it
 * proves itself with the operator secret from the data directory.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { GcOptions, GcReport } from '../registry/gc.ts';
import type { AuditLog } from '../auth/audit.ts';
import type { HubMetrics } from '../metrics.ts';

/** The header carrying the operator secret of the data directory's lock file. */
export const OPERATOR_HEADER = 'Nocker-Operator';

/** The audit action of a garbage collection run (the Hub's health lists the last ones). */
export const GC_AUDIT_ACTION = 'gc';

/** Who runs GC with the data directory's operator secret, or from this machine without a Hub. */
export const OPERATOR = { name: 'operator', kind: 'operator' } as const;

export type GcOutcome = { report: GcReport } | { error: unknown };

/**
 * Keeps one GC run in the audit log, what it deleted or why it failed: the Hub has no other
 * history of its collections.
 *
 * @example
 * recordGcRun(access.audit, OPERATOR, options, { report });
 */
export function recordGcRun(audit: AuditLog, who: { name: string; kind: string; clientAddress?: string }, options: GcOptions, outcome: GcOutcome): void {
  const run = { dryRun: options.dryRun, deleteUntagged: options.deleteUntagged };
  const detail =
    'report' in outcome
      ? { ...run, manifests: outcome.report.manifests.length, blobs: outcome.report.blobs.length + outcome.report.orphans.length, uploads: outcome.report.uploads.length, bytesFreed: outcome.report.bytesFreed }
      : { ...run, error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };
  audit.record({ actor: who.name, actorKind: who.kind, clientAddress: who.clientAddress, action: GC_AUDIT_ACTION, outcome: 'report' in outcome ? 'success' : 'failure', detail });
}

export function gcRoutes(registry: Registry, metrics: HubMetrics, operatorSecret: string | undefined, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.post('/api/v1/gc', async (c) => {
    const operator = sameSecret(c.req.header(OPERATOR_HEADER), operatorSecret);
    if (!operator) await c.var.auth.requireAdmin();
    const body: unknown = await c.req.json().catch(() => {
      throw new OciError('UNSUPPORTED', 'expected a JSON body with dryRun, deleteUntagged, gracePeriodMs and uploadExpiryMs', { status: 400 });
    });
    const options = parseGcOptions(body);
    const who = operator ? OPERATOR : c.var.auth.actor;
    const audit = (result: GcOutcome) => recordGcRun(access.audit, { ...who, clientAddress: c.var.auth.clientAddress }, options, result);
    try {
      const report = await registry.collectGarbage(options);
      metrics.gcRuns.inc({ result: 'ok' });
      audit({ report });
      return c.json(report);
    } catch (err) {
      metrics.gcRuns.inc({ result: 'failed' });
      audit({ error: err });
      throw err;
    }
  });
  return app;
}

function sameSecret(given: string | undefined, expected: string | undefined): boolean {
  if (!given || !expected || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
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
