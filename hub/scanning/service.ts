/**
 * The Hub's scan service: reacts to pushes by queueing a scan (the push never waits for it),
 * and runs one worker that takes jobs from the durable queue — reading an image's layers,
 * storing its packages and matching them — with retries and backoff for passing failures and
 * none for images that can never be scanned. On start it queues every image that was pushed
 * but never scanned, so a crash between a push and its scan loses nothing.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { imageScans, manifests, repositories } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, MANIFEST_TYPES } from '../oci/mediatypes.ts';
import type { RegistryEvent } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';
import { HostileLayerError } from './layer-files.ts';
import { matchImage } from './matcher.ts';
import { claimScanJob, completeScanJob, enqueueScanJob, extendScanJobLease, failScanJob, releaseScanJob, rowsOf, type ScanJob, type ScanJobKind } from './queue.ts';
import { forgetScanIfUnused, markScanFailed, scanReport, storeIndexScan, storeScan, storedImage, type ScanReport } from './results.ts';
import { IMAGE_CONFIG_TYPES, scanImage, UnscannableImageError } from './scan-image.ts';
import type { ScannedImage, ScannedPackage } from './types.ts';

/** What other features add to a scan: packages from elsewhere, and work once it is stored. */
export interface ScanHooks {
  /** Packages known without reading the layers (an SBOM the build attached); merged in before storing. */
  extraPackages?(repository: string, digest: string): Promise<ScannedPackage[]>;
  /** Runs after a scan is stored (e.g. to attach an SBOM). */
  scanned?(image: ScannedImage): Promise<void>;
  /** Runs when an image scanned before is pushed again (another tag or repository), with its stored scan. */
  reused?(image: ScannedImage): Promise<void>;
}

export interface ScanServiceOptions {
  db: Database;
  registry: Registry;
  hooks?: ScanHooks;
  /** How often an idle worker looks for due jobs (other replicas', retries); default 1000 ms. */
  pollMs?: number;
  /** How long a claimed job is held before another worker may take it; renewed while it runs. Default 5 minutes. */
  leaseMs?: number;
  /** Leaves out the warnings (images that cannot be scanned, failed hooks), as a quiet Hub does; errors are still logged. */
  quiet?: boolean;
}

export interface ScanService {
  /** The database the service works on. */
  readonly db: Database;
  /** Starts the worker and queues the images never scanned. */
  start(): void;
  /** Stops taking jobs, stops the running scan (its job is handed back) and waits for it. */
  close(): Promise<void>;
  /** Queues a job (and wakes the worker). */
  enqueue(repository: string, digest: string, kind: ScanJobKind): Promise<void>;
  /** Queues a match of every scanned image with a package the given records name; resolves to how many. */
  rematchAffected(vulnerabilityIds: string[]): Promise<number>;
  report(digest: string): Promise<ScanReport>;
}

/** At most this many never-scanned manifests are queued at start (the rest at the next start). */
const STARTUP_SWEEP_LIMIT = 10_000;

function writeLog(level: 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ level, msg, ...fields }));
}

const sqlList = (values: Iterable<string>) => sql.join([...values].map((v) => sql`${v}`), sql`, `);

/** Scans that can never succeed as the image is: no retry. */
function isPermanent(err: unknown): boolean {
  return err instanceof HostileLayerError || err instanceof UnscannableImageError || (err instanceof OciError && err.code === 'MANIFEST_INVALID');
}

function mergePackages(found: ScannedPackage[], extra: ScannedPackage[]): ScannedPackage[] {
  // By package URL: an attached SBOM names the same package as the scan under another path.
  const key = (p: ScannedPackage) => p.purl;
  const seen = new Set(found.map(key));
  return [...found, ...extra.filter((p) => !seen.has(key(p)) && (seen.add(key(p)), true))];
}

/**
 * @example
 * const scans = createScanService({ db: backends.database.db, registry: backends.registry });
 * scans.start();
 * // … on shutdown, before the database closes:
 * await scans.close();
 */
export function createScanService(options: ScanServiceOptions): ScanService {
  const { db, registry, hooks = {} } = options;
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const log: typeof writeLog = (level, msg, fields) => {
    if (level === 'error' || !options.quiet) writeLog(level, msg, fields);
  };
  let started = false;
  let stopped = false;
  /** Aborts the running scan on close, so that shutdown does not wait for a large image. */
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** Set by work queued while the worker was busy, so that it does not then sleep a poll interval. */
  let nudged = false;
  let unsubscribe: (() => void) | undefined;
  /** Database work started outside the worker (the start-up sweep, event handlers): close waits for it too. */
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.then(
      () => inFlight.delete(work),
      () => inFlight.delete(work),
    );
    return work;
  };

  const nudge = () => {
    nudged = true;
    wake?.();
  };

  async function enqueue(repository: string, digest: string, kind: ScanJobKind): Promise<void> {
    await enqueueScanJob(db, repository, digest, kind);
    nudge();
  }

  /** Queues a scan unless `digest` is scanned already: the same digest is the same content. */
  async function scanUnlessDone(repository: string, digest: string): Promise<void> {
    const [done] = await db
      .select({ digest: imageScans.digest })
      .from(imageScans)
      .where(and(eq(imageScans.digest, digest), eq(imageScans.status, 'done')));
    if (!done) return enqueue(repository, digest, 'scan');
    const image = hooks.reused && (await storedImage(db, repository, digest));
    if (image) await hooks.reused?.(image).catch((err: unknown) => log('warn', 'scan hook failed', { hook: 'reused', repository, digest, error: String(err) }));
  }

  /** A repository that holds `digest` now: the job's own, else any other. */
  async function holder(job: ScanJob): Promise<string | undefined> {
    const rows = await db
      .select({ name: repositories.name })
      .from(manifests)
      .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
      .where(eq(manifests.digest, job.digest))
      .orderBy(sql`${repositories.name} = ${job.repository} desc`, repositories.name)
      .limit(1);
    return rows[0]?.name;
  }

  async function scan(job: ScanJob): Promise<void> {
    const repository = await holder(job);
    // Deleted everywhere since it was queued: nothing to scan.
    if (repository === undefined) return;
    const outcome = await scanImage(registry, repository, job.digest, stopping.signal);
    if (outcome.kind === 'artifact') return;
    if (outcome.kind === 'index') {
      await storeIndexScan(db, job.digest);
      // Children pushed before their index were queued by their own push, and are usually scanned already.
      for (const child of outcome.children) await scanUnlessDone(repository, child.digest);
      return;
    }
    const image = outcome.image;
    if (hooks.extraPackages) {
      try {
        image.packages = mergePackages(image.packages, await hooks.extraPackages(repository, job.digest));
      } catch (err) {
        log('warn', 'scan hook failed', { hook: 'extraPackages', repository, digest: job.digest, error: String(err) });
      }
    }
    // Stored and matched together: a report never shows the packages without their findings.
    await db.transaction(async (tx) => {
      await storeScan(tx, image);
      await matchImage(tx, job.digest);
    });
    if (hooks.scanned) {
      await hooks.scanned(image).catch((err: unknown) => log('warn', 'scan hook failed', { hook: 'scanned', repository, digest: job.digest, error: String(err) }));
    }
  }

  async function run(job: ScanJob): Promise<void> {
    const renew = setInterval(() => {
      extendScanJobLease(db, job, leaseMs).catch(() => undefined);
    }, Math.max(50, leaseMs / 3));
    try {
      if (job.kind === 'scan') await scan(job);
      else {
        const [scanned] = await db.select({ status: imageScans.status }).from(imageScans).where(eq(imageScans.digest, job.digest));
        if (scanned?.status === 'done') await matchImage(db, job.digest);
      }
      clearInterval(renew);
      await completeScanJob(db, job);
    } catch (err) {
      clearInterval(renew);
      // Stopped mid-scan: the job goes back to the queue as it was, for the next start or another replica.
      if (stopping.signal.aborted) return releaseScanJob(db, job);
      const error = err instanceof Error ? err.message : String(err);
      const permanent = isPermanent(err);
      const gaveUp = await failScanJob(db, job, error, permanent);
      if (gaveUp && job.kind === 'scan') await markScanFailed(db, job.digest, error);
      log(permanent ? 'warn' : 'error', gaveUp ? 'scan failed' : 'scan failed, will retry', { kind: job.kind, repository: job.repository, digest: job.digest, attempts: job.attempts, error });
    }
  }

  /** Runs one due job; resolves to whether there was one. */
  async function runOne(): Promise<boolean> {
    const job = await claimScanJob(db, leaseMs);
    if (!job) return false;
    await run(job);
    return true;
  }

  async function work(): Promise<void> {
    while (!stopped) {
      nudged = false;
      let worked = false;
      try {
        worked = await runOne();
      } catch (err) {
        log('error', 'scan worker', { error: String(err) });
      }
      if (worked || stopped || nudged) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  /** Queues a scan of every image and index that has neither a scan nor a queued one. */
  async function sweep(): Promise<void> {
    const queued = rowsOf(
      await db.execute(sql`
        insert into scan_jobs (digest, repository, kind)
        select distinct on (m.digest) m.digest, r.name, 'scan'
        from manifests m join repositories r on r.id = m.repository_id
        where m.subject_digest is null
          and (m.media_type in (${sqlList(INDEX_TYPES)})
            or (m.media_type in (${sqlList(IMAGE_MANIFEST_TYPES)}) and m.artifact_type in (${sqlList(IMAGE_CONFIG_TYPES)})))
          and not exists (select 1 from image_scans s where s.digest = m.digest)
          and not exists (select 1 from scan_jobs j where j.digest = m.digest and j.kind = 'scan')
        order by m.digest
        limit ${STARTUP_SWEEP_LIMIT}
        on conflict (digest, kind) do nothing
        returning id`),
    );
    if (queued.length > 0) nudge();
  }

  async function onEvent(event: RegistryEvent): Promise<void> {
    if (stopped) return;
    if (event.type === 'manifest.pushed') {
      // Signatures, SBOMs and other artifacts name a subject; image manifests with an artifact config are skipped by the scan.
      if (event.subject || !MANIFEST_TYPES.has(event.mediaType)) return;
      // Pushed again (under another tag, or to another repository), a scanned image needs no new scan.
      await scanUnlessDone(event.repository, event.digest);
    } else if (event.type === 'manifest.deleted') {
      await forgetScanIfUnused(db, event.digest);
    }
  }

  return {
    db,
    start() {
      if (started) return;
      started = true;
      unsubscribe = registry.events.on((event) => track(onEvent(event)));
      loop = work();
      void track(sweep().catch((err: unknown) => log('error', 'queueing unscanned images', { error: String(err) })));
    },
    async close() {
      stopped = true;
      stopping.abort(new Error('the scan service is stopping'));
      unsubscribe?.();
      nudge();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
    enqueue,
    async rematchAffected(vulnerabilityIds) {
      if (vulnerabilityIds.length === 0) return 0;
      const rows = rowsOf(
        await db.execute(sql`
          insert into scan_jobs (digest, repository, kind)
          select affected.digest,
            coalesce((select r.name from manifests m join repositories r on r.id = m.repository_id where m.digest = affected.digest order by r.name limit 1), ''),
            'match'
          from (
            select distinct ip.digest from image_packages ip
            join image_scans s on s.digest = ip.digest and s.status = 'done'
            join vulnerability_packages vp on vp.vulnerability_id = any(${sql.param(vulnerabilityIds)}::text[])
              and vp.ecosystem_base = trim(split_part(ip.ecosystem, ':', 1))
              and vp.name = case
                when lower(trim(split_part(ip.ecosystem, ':', 1))) = 'pypi' then lower(regexp_replace(ip.name, '[-_.]+', '-', 'g'))
                when ip.type in ('deb', 'apk') then coalesce(nullif(ip.source_name, ''), ip.name)
                else ip.name end
            where ip.ecosystem is not null
          ) affected
          on conflict (digest, kind) do update set requested_at = now(), run_after = least(scan_jobs.run_after, now())
          returning digest`),
      );
      if (rows.length > 0) nudge();
      return rows.length;
    },
    report: (digest) => scanReport(db, digest),
  };
}
