/**
 * The durable queue of scan work (table `scan_jobs`): one row per (digest, kind). Workers claim
 * the oldest due job under a lease (`FOR UPDATE SKIP LOCKED`, so replicas never take the same
 * one), and a job whose worker died is taken again once its lease runs out. Asking for a job
 * that is running only moves its `requested_at`: the worker that finishes the older request
 * then leaves the row for one more run instead of deleting it.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { storableText } from './storable-text.ts';

/** What a scan job does: read the image's layers, or only match its stored packages again. */
export type ScanJobKind = 'scan' | 'match';

/** A job as a worker holds it. */
export interface ScanJob {
  id: number;
  digest: string;
  repository: string;
  kind: ScanJobKind;
  /** Including this run. */
  attempts: number;
  /** As the database wrote it (full precision): the request this run answers. */
  requestedAt: string;
}

/** After this many failed runs a job is given up. */
export const MAX_ATTEMPTS = 6;
/** The longest wait between two runs of a failing job. */
const MAX_BACKOFF_SECONDS = 600;

/**
 * The rows of a raw query: drizzle's `execute` answers with an array (postgres.js) or `{ rows }` (PGlite).
 *
 * @example
 * const rows = rowsOf<{ id: number }>(await db.execute(sql`select id from scan_jobs`));
 */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}

interface JobRow {
  id: number | string;
  digest: string;
  repository: string;
  kind: ScanJobKind;
  attempts: number;
  requested_at: string;
}

/**
 * Asks for a job: a new row, or, when one exists, a newer request that is due now.
 *
 * @example
 * await enqueueScanJob(db, 'team/app', 'sha256:…', 'scan');
 */
export async function enqueueScanJob(db: Database, repository: string, digest: string, kind: ScanJobKind): Promise<void> {
  await db.execute(sql`
    insert into scan_jobs (digest, repository, kind) values (${digest}, ${repository}, ${kind})
    on conflict (digest, kind) do update set requested_at = now(), run_after = least(scan_jobs.run_after, now())`);
}

/**
 * Takes the oldest due job that nobody holds, for `leaseMs`; `undefined` when there is none.
 * Claims by parallel workers (on PostgreSQL) never return the same job.
 *
 * @example
 * const job = await claimScanJob(db, 60_000);
 */
export async function claimScanJob(db: Database, leaseMs: number): Promise<ScanJob | undefined> {
  const lease = `${Math.max(1, Math.round(leaseMs))} milliseconds`;
  const rows = rowsOf<JobRow>(
    await db.execute(sql`
      update scan_jobs set lease_until = now() + ${lease}::interval, attempts = attempts + 1
      where id = (
        select id from scan_jobs
        where run_after <= now() and (lease_until is null or lease_until < now())
        order by run_after, id
        for update skip locked
        limit 1
      )
      returning id, digest, repository, kind, attempts, requested_at::text as requested_at`),
  );
  const row = rows[0];
  return row && { id: Number(row.id), digest: row.digest, repository: row.repository, kind: row.kind, attempts: row.attempts, requestedAt: row.requested_at };
}

/**
 * Finishes a job: removes it, unless it was asked for again while it ran, in which case it is
 * released to run once more (with its attempts counted afresh).
 *
 * @example
 * await completeScanJob(db, job);
 */
export async function completeScanJob(db: Database, job: ScanJob): Promise<void> {
  const deleted = rowsOf<{ id: unknown }>(
    await db.execute(sql`delete from scan_jobs where id = ${job.id} and requested_at = ${job.requestedAt}::timestamptz returning id`),
  );
  if (deleted.length === 0) {
    await db.execute(sql`update scan_jobs set lease_until = null, attempts = 0, last_error = null where id = ${job.id}`);
  }
}

/**
 * The wait before the next run after `attempts` failed ones: 2^attempts seconds, at most ten
 * minutes.
 *
 * @example
 * backoffSeconds(3); // 8
 */
export function backoffSeconds(attempts: number): number {
  return Math.min(2 ** attempts, MAX_BACKOFF_SECONDS);
}

/**
 * Records a failed run: the job runs again after a backoff, or, after {@link MAX_ATTEMPTS}
 * runs (or at once when `permanent`), is removed. Resolves to whether it was given up, for the
 * caller to record the scan as failed.
 *
 * @example
 * if (await failScanJob(db, job, err.message)) await markScanFailed(db, job.digest, err.message);
 */
export async function failScanJob(db: Database, job: ScanJob, error: string, permanent = false): Promise<boolean> {
  if (permanent || job.attempts >= MAX_ATTEMPTS) {
    await db.execute(sql`delete from scan_jobs where id = ${job.id}`);
    return true;
  }
  const wait = `${backoffSeconds(job.attempts)} seconds`;
  await db.execute(sql`
    update scan_jobs set run_after = now() + ${wait}::interval, last_error = ${storableText(error)}, lease_until = null
    where id = ${job.id}`);
  return false;
}

/**
 * Whether a job for `digest` waits or runs.
 *
 * @example
 * await hasScanJob(db, 'sha256:…'); // true while a scan is queued
 */
export async function hasScanJob(db: Database, digest: string): Promise<boolean> {
  return rowsOf(await db.execute(sql`select 1 from scan_jobs where digest = ${digest} limit 1`)).length > 0;
}

/**
 * Keeps holding a job that is still running: its lease is moved to `leaseMs` from now.
 *
 * @example
 * const renew = setInterval(() => void extendScanJobLease(db, job, 60_000), 20_000);
 */
export async function extendScanJobLease(db: Database, job: ScanJob, leaseMs: number): Promise<void> {
  const lease = `${Math.max(1, Math.round(leaseMs))} milliseconds`;
  await db.execute(sql`update scan_jobs set lease_until = now() + ${lease}::interval where id = ${job.id} and lease_until is not null`);
}

/**
 * Hands a job back unfinished and uncounted (its worker is stopping): it is due again at once.
 *
 * @example
 * await releaseScanJob(db, job);
 */
export async function releaseScanJob(db: Database, job: ScanJob): Promise<void> {
  await db.execute(sql`update scan_jobs set lease_until = null, attempts = greatest(attempts - 1, 0) where id = ${job.id}`);
}

/** The scan queue and its outcome, for the Hub's health report. */
export interface ScanQueueDepth {
  /** Jobs waiting for their first run. */
  queued: number;
  running: number;
  /** Jobs that failed at least once and wait to be tried again. */
  retrying: number;
  /** Images whose scan was given up (its job is gone; the reason is in the scan). */
  failed: number;
}

/**
 * Counts the queue in one query: a job is running while its lease is in the future, retrying
 * once it has failed (a given-up job is deleted, so failed scans are counted in `image_scans`).
 *
 * @example
 * await scanQueueDepth(db); // { queued: 3, running: 1, retrying: 0, failed: 2 }
 */
export async function scanQueueDepth(db: Database): Promise<ScanQueueDepth> {
  const rows = rowsOf<{ state: keyof ScanQueueDepth; jobs: number | string }>(
    await db.execute(sql`
      select state, count(*)::int as jobs from (
        select case
          when lease_until is not null and lease_until > now() then 'running'
          when attempts > 0 then 'retrying'
          else 'queued' end as state
        from scan_jobs
      ) as jobs group by state
      union all
      select 'failed', count(*)::int from image_scans where status = 'failed'`),
  );
  const depth: ScanQueueDepth = { queued: 0, running: 0, retrying: 0, failed: 0 };
  for (const row of rows) depth[row.state] = Number(row.jobs);
  return depth;
}
