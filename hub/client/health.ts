/**
 * The Hub's health for administrators (`GET /api/v1/health`): its storage and database, the
 * scan queue, the last garbage collections and the vulnerability database version.
 */
import type { HubClient } from './client.ts';

/** A backend the Hub depends on, and whether it answered a cheap probe in time. */
export interface BackendHealth<Driver extends string> {
  driver: Driver;
  ok: boolean;
  /** Why the probe failed, when it did. */
  error?: string;
}

/** One garbage collection run through the API, as the audit log recorded it. */
export interface GcRun {
  at: string;
  actor: string;
  outcome: 'success' | 'failure';
  dryRun: boolean;
  deleteUntagged: boolean;
  /** What was (or, on a dry run, would have been) deleted; absent when the run failed. */
  manifests?: number;
  blobs?: number;
  uploads?: number;
  bytesFreed?: number;
  /** Why the run failed. */
  error?: string;
}

export interface HubHealth {
  storage: BackendHealth<'fs' | 's3'>;
  database: BackendHealth<'pglite' | 'postgresql'>;
  /** `failed`: images whose scan was given up. */
  scanQueue: { queued: number; running: number; retrying: number; failed: number };
  gc: { runs: GcRun[] };
  /** The id of the latest finished vulnerability database import; null before the first. */
  vulndbVersion: number | null;
}

/**
 * @example
 * const health = await fetchHealth(client);
 * health.database; // { driver: 'pglite', ok: true }
 */
export function fetchHealth(client: HubClient): Promise<HubHealth> {
  return client.api('GET', '/api/v1/health');
}
