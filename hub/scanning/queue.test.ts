import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import type { Database } from '../db/open.ts';
import { backoffSeconds, claimScanJob, completeScanJob, enqueueScanJob, failScanJob, hasScanJob, MAX_ATTEMPTS, rowsOf } from './queue.ts';

interface Row {
  digest: string;
  attempts: number;
  lease_until: Date | string | null;
  last_error: string | null;
  wait_s: number;
}

describe('scan job queue', () => {
  const backends = useTestBackends();
  let db: Database;

  async function row(digest: string): Promise<Row | undefined> {
    const rows = rowsOf<Row>(
      await db.execute(sql`select digest, attempts, lease_until, last_error, extract(epoch from run_after - now())::float8 as wait_s from scan_jobs where digest = ${digest}`),
    );
    return rows[0];
  }

  beforeAll(() => {
    db = backends().database.db;
  });
  beforeEach(async () => {
    await db.execute(sql`delete from scan_jobs`);
  });

  it('hands out the oldest due job, each to one claimant, and none while leased', async () => {
    await enqueueScanJob(db, 'team/a', 'sha256:a', 'scan');
    await enqueueScanJob(db, 'team/b', 'sha256:b', 'scan');
    await enqueueScanJob(db, 'team/b', 'sha256:b', 'match');
    const claims = await Promise.all([claimScanJob(db, 60_000), claimScanJob(db, 60_000)]);
    expect(claims.map((job) => job?.digest).sort()).toEqual(['sha256:a', 'sha256:b']);
    expect(claims.every((job) => job?.kind === 'scan' && job.attempts === 1)).toBe(true);
    const third = await claimScanJob(db, 60_000);
    expect(third).toMatchObject({ digest: 'sha256:b', kind: 'match', repository: 'team/b' });
    expect(await claimScanJob(db, 60_000)).toBeUndefined();
  });

  it('gives a job whose lease ran out to the next claimant', async () => {
    await enqueueScanJob(db, 'team/a', 'sha256:lease', 'scan');
    const first = await claimScanJob(db, 200);
    expect(first?.digest).toBe('sha256:lease');
    expect(await claimScanJob(db, 200)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await claimScanJob(db, 60_000);
    expect(again).toMatchObject({ id: first!.id, attempts: 2 });
  });

  it('deletes a completed job, but keeps one asked for again while it ran', async () => {
    await enqueueScanJob(db, 'team/a', 'sha256:done', 'scan');
    const job = await claimScanJob(db, 60_000);
    await completeScanJob(db, job!);
    expect(await hasScanJob(db, 'sha256:done')).toBe(false);

    await enqueueScanJob(db, 'team/a', 'sha256:again', 'scan');
    const running = await claimScanJob(db, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await enqueueScanJob(db, 'team/a', 'sha256:again', 'scan');
    // Still leased: nobody else runs it meanwhile.
    expect(await claimScanJob(db, 60_000)).toBeUndefined();
    await completeScanJob(db, running!);
    expect(await row('sha256:again')).toMatchObject({ lease_until: null, attempts: 0 });
    const rerun = await claimScanJob(db, 60_000);
    expect(rerun?.digest).toBe('sha256:again');
    await completeScanJob(db, rerun!);
    expect(await hasScanJob(db, 'sha256:again')).toBe(false);
  });

  it('retries a failed job after a growing backoff, and gives up after the last attempt', async () => {
    expect([1, 2, 3, 9, 10, 20].map(backoffSeconds)).toEqual([2, 4, 8, 512, 600, 600]);
    await enqueueScanJob(db, 'team/a', 'sha256:flaky', 'scan');
    const job = await claimScanJob(db, 60_000);
    expect(await failScanJob(db, job!, 'storage unavailable')).toBe(false);
    const waiting = await row('sha256:flaky');
    expect(waiting).toMatchObject({ attempts: 1, lease_until: null, last_error: 'storage unavailable' });
    expect(waiting!.wait_s).toBeGreaterThan(1);
    expect(waiting!.wait_s).toBeLessThanOrEqual(2);
    // Not due yet.
    expect(await claimScanJob(db, 60_000)).toBeUndefined();
    // A new request makes it due at once.
    await enqueueScanJob(db, 'team/a', 'sha256:flaky', 'scan');
    const retry = await claimScanJob(db, 60_000);
    expect(retry?.attempts).toBe(2);
    expect(await failScanJob(db, { ...retry!, attempts: MAX_ATTEMPTS }, 'still unavailable')).toBe(true);
    expect(await hasScanJob(db, 'sha256:flaky')).toBe(false);
  });

  it('removes a job at once on a permanent failure', async () => {
    await enqueueScanJob(db, 'team/a', 'sha256:hostile', 'scan');
    const job = await claimScanJob(db, 60_000);
    expect(await failScanJob(db, job!, 'layer …: hostile', true)).toBe(true);
    expect(await hasScanJob(db, 'sha256:hostile')).toBe(false);
  });
});
