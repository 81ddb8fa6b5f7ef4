/**
 * Runs garbage collection where it can run: in this process against PostgreSQL (any number of
 * processes may), or against the embedded database when no Hub holds it, or else by asking the
 * running Hub that holds it.
 */
import type { HubConfig } from './config.ts';
import { acquireDataDirLock, lockOwner } from './datadir-lock.ts';
import type { GcOptions, GcReport } from './registry/gc.ts';
import { OPERATOR, OPERATOR_HEADER, recordGcRun } from './api/gc.ts';
import { openBackends } from './server.ts';

export async function runGarbageCollection(config: HubConfig, options: GcOptions): Promise<GcReport> {
  if (!config.databaseUrl) {
    const owner = await lockOwner(config.dataDir);
    if (owner?.url) return askRunningHub(owner.url, owner.operatorSecret, options);
  }
  const lock = config.databaseUrl ? undefined : await acquireDataDirLock(config.dataDir);
  try {
    const backends = await openBackends(config);
    try {
      // Recorded like a run through the API, so the Hub's health lists it too.
      const report = await backends.registry.collectGarbage(options).catch((err: unknown) => {
        recordGcRun(backends.access.audit, OPERATOR, options, { error: err });
        throw err;
      });
      recordGcRun(backends.access.audit, OPERATOR, options, { report });
      return report;
    } finally {
      await backends.close();
    }
  } finally {
    await lock?.release();
  }
}

async function askRunningHub(url: string, operatorSecret: string | undefined, options: GcOptions): Promise<GcReport> {
  const res = await fetch(`${url}/api/v1/gc`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(operatorSecret ? { [OPERATOR_HEADER]: operatorSecret } : {}) },
    body: JSON.stringify(options),
  });
  if (!res.ok) throw new Error(`the running Hub at ${url} refused garbage collection: ${res.status} ${await res.text()}`);
  return (await res.json()) as GcReport;
}
