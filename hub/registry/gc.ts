/**
 * Garbage collection: mark and sweep of what no manifest needs, safe while pushes go on.
 *
 * - Untagged manifests (only with `deleteUntagged`): a manifest is kept while it is tagged, was
 *   pushed within the grace period, is listed by a kept index, or refers to a kept subject.
 * - Blobs: removed when no manifest references them and no push linked or referenced them
 *   within the grace period. They are first marked, in a committed step after which they count
 *   as absent; then the bytes go, then the rows. A concurrent push either keeps a blob (it
 *   references or takes it back before the mark) or finds it gone and uploads it again.
 * - Bytes in storage that no row knows (left by a crash) and abandoned uploads.
 * - Leftovers of the storage backend itself past the upload expiry, such as S3 multipart uploads
 *   abandoned by a crash mid-commit (`BlobStore.cleanup`); not in a dry run, as a store can only
 *   name them by removing them.
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { BlobStore } from '../../storage/blobstore.ts';
import type { Database, Transaction } from '../db/open.ts';
import { blobs, manifestReferences, manifests, repositories, tags, uploads } from '../db/schema.ts';
import { MANIFEST_CHANGES_CHANNEL } from './manifest-cache.ts';

type Queryable = Database | Transaction;

export interface GcOptions {
  /** Report what would go, change nothing. */
  dryRun: boolean;
  /** Also remove manifests that nothing keeps (see above). */
  deleteUntagged: boolean;
  /** Nothing pushed, linked or referenced more recently than this is touched. */
  gracePeriodMs: number;
  /** Uploads idle for longer than this are abandoned. */
  uploadExpiryMs: number;
}

export interface GcReport {
  dryRun: boolean;
  manifests: { repository: string; digest: string }[];
  blobs: { digest: string; size: number }[];
  /** Bytes in storage without a row (a crash between writing and recording them). */
  orphans: { digest: string; size: number }[];
  uploads: string[];
  /** Storage backend leftovers removed by `BlobStore.cleanup` (e.g. abandoned S3 multipart uploads). */
  leftovers: string[];
  bytesFreed: number;
}

/** Rows deleted per statement: bounded lock sets and statement sizes. */
const BATCH = 200;

/** Rolls a dry run's transaction back after it has counted what a real run would remove. */
class DryRunRollback extends Error {}

/**
 * @example
 * const report = await collectGarbage(db, store, { dryRun: true, deleteUntagged: false, gracePeriodMs: 3_600_000, uploadExpiryMs: 86_400_000 });
 */
export async function collectGarbage(db: Database, store: BlobStore, options: GcOptions): Promise<GcReport> {
  const cutoff = new Date(Date.now() - options.gracePeriodMs);
  const report: GcReport = { dryRun: options.dryRun, manifests: [], blobs: [], orphans: [], uploads: [], leftovers: [], bytesFreed: 0 };

  if (options.dryRun) {
    // Run the real marking in a transaction that is rolled back: the counts are exact.
    await db
      .transaction(async (tx) => {
        if (options.deleteUntagged) report.manifests = await sweepManifests(tx, cutoff);
        report.blobs = await sweepBlobs(tx, cutoff, undefined);
        throw new DryRunRollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof DryRunRollback)) throw err;
      });
  } else {
    if (options.deleteUntagged) report.manifests = await sweepManifests(db, cutoff);
    report.blobs = await sweepBlobs(db, cutoff, (digest) => store.delete(digest));
  }
  report.orphans = await sweepOrphans(db, store, cutoff, options.dryRun);
  const uploadExpiry = new Date(Date.now() - options.uploadExpiryMs);
  report.uploads = await sweepUploads(db, store, uploadExpiry, options.dryRun);
  // Anything the backend left mid-operation is older than any upload still worth finishing.
  if (!options.dryRun) report.leftovers = await store.cleanup(uploadExpiry);
  report.blobs.sort((a, b) => a.digest.localeCompare(b.digest));
  report.bytesFreed = [...report.blobs, ...report.orphans].reduce((sum, b) => sum + b.size, 0);
  return report;
}

/**
 * Deletes manifests that nothing keeps; returns them.
 *
 * What looks doomed is locked first and then decided again: in PostgreSQL's read-committed mode
 * that second statement sees every push committed meanwhile (a tag set, an index listing the
 * manifest), while pushes that touch a locked manifest wait for GC and then find it gone.
 */
async function sweepManifests(db: Queryable, cutoff: Date): Promise<GcReport['manifests']> {
  const candidates = await doomedManifests(db, cutoff);
  if (candidates.length === 0) return [];
  return retryOnDeadlock(() => db.transaction(async (tx) => {
    for (const batch of batches(candidates.map((m) => m.id))) {
      await tx.select({ id: manifests.id }).from(manifests).where(inArray(manifests.id, batch)).orderBy(manifests.id).for('update');
    }
    const still = new Set((await doomedManifests(tx, cutoff)).map((m) => m.id));
    const doomed = candidates.filter((m) => still.has(m.id));
    for (const batch of batches(doomed.map((m) => m.id))) await tx.delete(manifests).where(inArray(manifests.id, batch));
    // Announced with the commit itself: replicas that cached these manifests forget them even
    // if this GC dies before it reports (a notification is delivered when the transaction commits).
    for (const repository of new Set(doomed.map((m) => m.repository))) {
      await tx.execute(sql`select pg_notify(${MANIFEST_CHANGES_CHANNEL}, ${repository})`);
    }
    return doomed.map(({ repository, digest }) => ({ repository, digest }));
  }));
}

/**
 * Manifests nothing keeps: not tagged, not used within the grace period, not listed by a kept
 * index, not referring to a kept subject.
 */
async function doomedManifests(db: Queryable, cutoff: Date): Promise<{ id: number; repository: string; digest: string }[]> {
  const rows = await db.execute<{ id: number; repository: string; digest: string }>(sql`
    with recursive kept(id, repository_id, digest) as (
      select m.id, m.repository_id, m.digest from ${manifests} m
       where m.last_used_at >= ${cutoff.toISOString()}::timestamptz
          or exists (select 1 from ${tags} t where t.manifest_id = m.id)
      union
      select x.id, x.repository_id, x.digest from kept k
        join ${manifests} x on x.repository_id = k.repository_id
       where x.subject_digest = k.digest
          or exists (select 1 from ${manifestReferences} r
                      where r.manifest_id = k.id and r.kind = 'manifest' and r.digest = x.digest)
    )
    select m.id, r.name as repository, m.digest
      from ${manifests} m join ${repositories} r on r.id = m.repository_id
     where m.id not in (select id from kept)
     order by r.name, m.digest`);
  return rowsOf<{ id: number; repository: string; digest: string }>(rows).map((m) => ({ ...m, id: Number(m.id) }));
}

/**
 * Marks the blobs no manifest references and nobody used within the grace period, then deletes
 * the marked ones (in a dry run, only lists them). Also finishes what a GC run that died left
 * marked.
 */
async function sweepBlobs(db: Queryable, cutoff: Date, deleteBytes: ((digest: string) => Promise<void>) | undefined): Promise<GcReport['blobs']> {
  await markUnusedBlobs(db, cutoff);
  const marked = await db.select({ digest: blobs.digest, size: blobs.size }).from(blobs).where(eq(blobs.deleting, true)).orderBy(blobs.digest);
  if (!deleteBytes) return marked;
  const removed: GcReport['blobs'] = [];
  for (const batch of batches(marked.map((b) => b.digest))) {
    await retryOnDeadlock(() => db.transaction(async (tx) => {
      // Locked, so that a push of the same content waits and then writes its bytes anew; a push
      // that took a blob back before the lock unmarked it, and it is not deleted.
      const locked = await tx
        .select({ digest: blobs.digest, size: blobs.size })
        .from(blobs)
        .where(and(inArray(blobs.digest, batch), eq(blobs.deleting, true)))
        .orderBy(blobs.digest)
        .for('update');
      // Bytes first: should GC die here, the rows stay marked (the blobs count as absent) and
      // the next run finishes the job.
      for (const blob of locked) await deleteBytes(blob.digest);
      await tx.delete(blobs).where(inArray(blobs.digest, locked.map((b) => b.digest)));
      removed.push(...locked);
    }));
  }
  return removed;
}

/**
 * Marks unused blobs for deletion, committed before any byte goes. Like manifests, candidates
 * are locked first and decided again, so a manifest committed meanwhile that references one
 * keeps it.
 */
async function markUnusedBlobs(db: Queryable, cutoff: Date): Promise<void> {
  const unused = and(
    eq(blobs.deleting, false),
    lt(blobs.lastUsedAt, cutoff),
    sql`not exists (select 1 from ${manifestReferences} r where r.kind = 'blob' and r.digest = ${blobs.digest})`,
  );
  const candidates = await db.select({ digest: blobs.digest }).from(blobs).where(unused).orderBy(blobs.digest);
  for (const batch of batches(candidates.map((b) => b.digest))) {
    await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        await tx.select({ digest: blobs.digest }).from(blobs).where(inArray(blobs.digest, batch)).orderBy(blobs.digest).for('update');
        await tx
          .update(blobs)
          .set({ deleting: true })
          .where(and(inArray(blobs.digest, batch), unused));
      }),
    );
  }
}

/**
 * Runs a GC transaction again when PostgreSQL chose it as a deadlock victim: a push that locks
 * rows GC wants can always win; GC simply decides that batch again afterwards.
 */
async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
      if (code !== '40P01' || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/** Splits a list into statement-sized pieces. */
function batches<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

/**
 * Removes stored bytes that no blob row knows, once they are older than the grace period. Each
 * is deleted while GC holds a placeholder row for its digest, so a push completing the same
 * content at that moment waits, then writes its bytes anew.
 */
async function sweepOrphans(db: Database, store: BlobStore, cutoff: Date, dryRun: boolean): Promise<GcReport['orphans']> {
  const orphans: GcReport['orphans'] = [];
  const remove = async (blob: { digest: string; size: number }) => {
    if (dryRun) return orphans.push(blob);
    await db.transaction(async (tx) => {
      const [claimed] = await tx.insert(blobs).values(blob).onConflictDoNothing().returning({ digest: blobs.digest });
      if (!claimed) return;
      await store.delete(blob.digest);
      await tx.delete(blobs).where(eq(blobs.digest, blob.digest));
      orphans.push(blob);
    });
  };
  let batch: { digest: string; size: number }[] = [];
  const flush = async () => {
    const known = batch.length
      ? await db.select({ digest: blobs.digest }).from(blobs).where(inArray(blobs.digest, batch.map((b) => b.digest)))
      : [];
    const knownSet = new Set(known.map((k) => k.digest));
    for (const blob of batch) if (!knownSet.has(blob.digest)) await remove(blob);
    batch = [];
  };
  for await (const blob of store.list()) {
    if (blob.modified >= cutoff) continue;
    batch.push({ digest: blob.digest, size: blob.size });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return orphans;
}

/** Ends uploads idle since `expiry`, and upload bytes in storage that have no session. */
async function sweepUploads(db: Database, store: BlobStore, expiry: Date, dryRun: boolean): Promise<string[]> {
  const stale = dryRun
    ? await db.select({ id: uploads.id }).from(uploads).where(lt(uploads.updatedAt, expiry))
    : // The condition holds at the moment of deletion: an upload resumed meanwhile keeps its row.
      await db.delete(uploads).where(lt(uploads.updatedAt, expiry)).returning({ id: uploads.id });
  const ended = stale.map((u) => u.id);
  const sessions = new Set((await db.select({ id: uploads.id }).from(uploads)).map((u) => u.id));
  for await (const upload of store.listUploads()) {
    if (!sessions.has(upload.id) && upload.modified < expiry && !ended.includes(upload.id)) ended.push(upload.id);
  }
  if (!dryRun) for (const id of ended) await store.abortUpload(id);
  return ended;
}

/** drizzle's `execute` answers with an array (postgres.js) or `{ rows }` (PGlite). */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** Parses `90s`, `15m`, `1h`, `7d` (or plain milliseconds) for command-line options. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`${option}: expected a duration such as 30m, 1h or 7d, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms'] ?? 1;
  return Number(match[1]) * unit;
}

/** The report as the CLI prints it: one line per removal, then the totals. */
export function formatGcReport(report: GcReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  // Absent from the report of a running Hub of an older version.
  const leftovers = report.leftovers ?? [];
  // Only mentioned when there are some: they are rare, and the usual line stays as it was.
  const extra = leftovers.length > 0 ? `, ${leftovers.length} storage leftovers` : '';
  const lines = [
    ...report.manifests.map((m) => `${verb} manifest ${m.repository}@${m.digest}`),
    ...report.blobs.map((b) => `${verb} blob ${b.digest} (${b.size} bytes)`),
    ...report.orphans.map((b) => `${verb} unrecorded blob ${b.digest} (${b.size} bytes)`),
    ...report.uploads.map((id) => `${verb} abandoned upload ${id}`),
    ...leftovers.map((what) => `${verb} storage leftover ${what}`),
    `${report.dryRun ? 'dry run: ' : ''}${report.manifests.length} manifests, ${report.blobs.length + report.orphans.length} blobs, ${report.uploads.length} uploads${extra}; ${report.bytesFreed} bytes ${report.dryRun ? 'would be ' : ''}freed`,
  ];
  return `${lines.join('\n')}\n`;
}
