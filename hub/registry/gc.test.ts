/**
 * Garbage collection against real backends: an embedded PGlite database and the filesystem blob
 * store on a temporary data directory, filled through the registry services exactly as pushes
 * fill them.
 *
 * Creating a PGlite database takes seconds, so the whole file shares one data directory and each
 * test starts from empty tables and an empty blob store (see `reset`): GC is global, and a test
 * can only assert an exact report when nothing else is in the Hub.
 *
 * Age: GC compares `blobs.last_used_at`, `manifests.last_used_at` and `uploads.updated_at` with
 * "now minus the grace period". Pushes always stamp these with now(), so a test that needs
 * something old moves the column back in time with SQL (`age*` below) rather than waiting an
 * hour. Bytes in storage carry their file mtime instead; for those the tests use
 * `gracePeriodMs: 0` / `uploadExpiryMs: 0` ("older than now") after a short pause, which keeps
 * them free of any knowledge of the store's on-disk layout.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestEnvironment, startTestHub, type TestEnvironment } from '../../conformance/harness.ts';
import { ADMIN_AUTHORIZATION } from '../../conformance/helpers.ts';
import type { HubConfig } from '../config.ts';
import { lockOwner } from '../datadir-lock.ts';
import { blobs, manifests, repositories, repositoryBlobs, tags, uploads } from '../db/schema.ts';
import { runGarbageCollection } from '../gc-runner.ts';
import { openBackends, type HubBackends } from '../server.ts';
import type { BlobStore, StoredUpload } from '../../storage/blobstore.ts';
import { collectGarbage, type GcOptions, type GcReport } from './gc.ts';

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

const MT = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
}

interface Manifest {
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
  descriptor: Descriptor;
}

interface Image extends Manifest {
  config: Descriptor;
  layer: Descriptor;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** What `nocker hub gc` uses when given no options. */
const DEFAULTS: GcOptions = { dryRun: false, deleteUntagged: false, gracePeriodMs: HOUR, uploadExpiryMs: DAY };

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function manifestOf(mediaType: string, json: Record<string, unknown>): Manifest {
  const bytes = Buffer.from(JSON.stringify(json));
  const digest = sha256(bytes);
  return { bytes, digest, mediaType, descriptor: { mediaType, digest, size: bytes.length } };
}

async function* once(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
}

// ---------------------------------------------------------------------------------------------
// The shared data directory
// ---------------------------------------------------------------------------------------------

let dataDir: string;
let config: HubConfig;
let backends: HubBackends | undefined;

function hub(): HubBackends {
  if (!backends) throw new Error('the backends are closed');
  return backends;
}

let environment: TestEnvironment | undefined;

beforeAll(async () => {
  environment = await createTestEnvironment();
  dataDir = environment.dataDir;
  config = environment.config;
  backends = await openBackends(config);
});

afterAll(async () => {
  await backends?.close();
  await environment?.dispose();
});

/** Empties every table and the blob store, so that each test sees only its own content. */
async function reset(): Promise<void> {
  await hub().database.db.execute(
    sql`truncate table tags, manifest_references, manifests, repository_blobs, blobs, uploads, repositories restart identity cascade`,
  );
  const { store } = hub();
  for await (const blob of store.list()) await store.delete(blob.digest);
  for await (const upload of store.listUploads()) await store.abortUpload(upload.id);
}

// ---------------------------------------------------------------------------------------------
// Pushing through the registry services
// ---------------------------------------------------------------------------------------------

/** Uploads `data` to `repo` with start/append/finish, as a client's POST, PATCH and PUT would. */
async function pushBlob(repo: string, data: Uint8Array, mediaType: string = MT.layer): Promise<Descriptor> {
  const { registry } = hub();
  const upload = await registry.uploads.start(repo);
  await registry.uploads.append(repo, upload.id, once(data));
  const blob = await registry.uploads.finish(repo, upload.id, sha256(data));
  return { mediaType, digest: blob.digest, size: blob.size };
}

/** Puts a manifest under `reference` (a tag), or under its digest when no tag is given. */
async function putManifest(repo: string, manifest: Manifest, tag?: string): Promise<void> {
  await hub().registry.manifests.put(repo, tag ?? manifest.digest, manifest.bytes, manifest.mediaType);
}

/** Pushes a fresh config and layer, then an image manifest listing them. */
async function pushImage(repo: string, tag?: string, extra: { subject?: Descriptor } = {}): Promise<Image> {
  const config = await pushBlob(repo, Buffer.from(JSON.stringify({ os: 'linux', nonce: randomBytes(8).toString('hex') })), MT.config);
  const layer = await pushBlob(repo, randomBytes(300));
  const manifest = manifestOf(MT.manifest, {
    schemaVersion: 2,
    mediaType: MT.manifest,
    config,
    layers: [layer],
    ...(extra.subject ? { subject: extra.subject } : {}),
  });
  await putManifest(repo, manifest, tag);
  return { ...manifest, config, layer };
}

/** Pushes an untagged referrer of `subject`: an artifact with the empty config and one fresh layer. */
async function pushReferrer(repo: string, subject: Descriptor): Promise<Image> {
  const config = await pushBlob(repo, Buffer.from('{}'), MT.empty);
  const layer = await pushBlob(repo, randomBytes(100), 'application/vnd.example.signature');
  const manifest = manifestOf(MT.manifest, {
    schemaVersion: 2,
    mediaType: MT.manifest,
    artifactType: 'application/vnd.example.signature',
    config,
    layers: [layer],
    subject,
  });
  await putManifest(repo, manifest);
  return { ...manifest, config, layer };
}

async function pushIndex(repo: string, children: Descriptor[], tag?: string): Promise<Manifest> {
  const index = manifestOf(MT.index, { schemaVersion: 2, mediaType: MT.index, manifests: children });
  await putManifest(repo, index, tag);
  return index;
}

// ---------------------------------------------------------------------------------------------
// Age and inspection
// ---------------------------------------------------------------------------------------------

/** `ms` milliseconds before now, as a timestamptz the database compares like GC's cutoff. */
const ago = (ms: number) => sql`${new Date(Date.now() - ms).toISOString()}::timestamptz`;

/** Makes a blob look last used `ms` ago (GC reads `last_used_at` against the grace period). */
async function ageBlob(digest: string, ms: number): Promise<void> {
  await hub().database.db.execute(sql`update ${blobs} set last_used_at = ${ago(ms)} where digest = ${digest}`);
}

/** Makes every blob and manifest look pushed `ms` ago. */
async function ageEverything(ms: number): Promise<void> {
  const { db } = hub().database;
  await db.execute(sql`update ${blobs} set last_used_at = ${ago(ms)}, created_at = ${ago(ms)}`);
  await db.execute(sql`update ${manifests} set last_used_at = ${ago(ms)}, created_at = ${ago(ms)}`);
}

/** Makes an upload session look idle for `ms` (GC reads `updated_at` against the upload expiry). */
async function ageUpload(id: string, ms: number): Promise<void> {
  await hub().database.db.execute(sql`update ${uploads} set updated_at = ${ago(ms)} where id = ${id}`);
}

/** Lets the clock move past every timestamp written so far, for `gracePeriodMs: 0` runs. */
const settle = () => sleep(25);

async function blobRow(digest: string): Promise<boolean> {
  const rows = await hub().database.db.select({ digest: blobs.digest }).from(blobs).where(sql`${blobs.digest} = ${digest}`);
  return rows.length > 0;
}

/** The blob as a repository sees it (row, link) and as storage holds it (bytes). */
async function expectBlobGone(repo: string, digest: string): Promise<void> {
  expect(await blobRow(digest), `row of ${digest}`).toBe(false);
  expect(await hub().store.stat(digest), `bytes of ${digest}`).toBeNull();
  await expect(hub().registry.blobs.stat(repo, digest)).rejects.toMatchObject({ code: 'BLOB_UNKNOWN' });
}

async function expectBlobKept(repo: string, blob: Descriptor): Promise<void> {
  expect(await blobRow(blob.digest), `row of ${blob.digest}`).toBe(true);
  expect(await hub().store.stat(blob.digest), `bytes of ${blob.digest}`).toMatchObject({ size: blob.size });
  await expect(hub().registry.blobs.stat(repo, blob.digest)).resolves.toEqual({ digest: blob.digest, size: blob.size });
}

async function expectManifestGone(repo: string, digest: string): Promise<void> {
  await expect(hub().registry.manifests.get(repo, digest)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
}

/** `reference` is a tag or a digest; the manifest it names must be `digest`. */
async function expectManifestKept(repo: string, reference: string, digest = reference): Promise<void> {
  await expect(hub().registry.manifests.get(repo, reference)).resolves.toMatchObject({ digest });
}

async function storedUploads(): Promise<string[]> {
  const ids: string[] = [];
  for await (const upload of hub().store.listUploads()) ids.push(upload.id);
  return ids.sort();
}

async function storedBlobs(): Promise<string[]> {
  const digests: string[] = [];
  for await (const blob of hub().store.list()) digests.push(`${blob.digest}:${blob.size}`);
  return digests.sort();
}

/** Everything GC could touch, to prove that a dry run touched nothing. */
async function snapshot(): Promise<Record<string, unknown>> {
  const { db } = hub().database;
  return {
    blobs: await db.select().from(blobs).orderBy(blobs.digest),
    links: await db.select().from(repositoryBlobs).orderBy(repositoryBlobs.repositoryId, repositoryBlobs.digest),
    manifests: await db.select({ id: manifests.id, digest: manifests.digest }).from(manifests).orderBy(manifests.id),
    tags: await db.select().from(tags).orderBy(tags.repositoryId, tags.name),
    uploads: await db.select().from(uploads).orderBy(uploads.id),
    repositories: await db.select().from(repositories).orderBy(repositories.id),
    storedBlobs: await storedBlobs(),
    storedUploads: await storedUploads(),
  };
}

function gc(options: Partial<GcOptions> = {}): Promise<GcReport> {
  return hub().registry.collectGarbage({ ...DEFAULTS, ...options });
}

/** A report with its lists sorted, for comparing two runs whose listing order is unspecified. */
function normalized(report: GcReport): GcReport {
  const byDigest = (a: { digest: string }, b: { digest: string }) => a.digest.localeCompare(b.digest);
  return {
    ...report,
    manifests: [...report.manifests].sort((a, b) => `${a.repository}@${a.digest}`.localeCompare(`${b.repository}@${b.digest}`)),
    blobs: [...report.blobs].sort(byDigest),
    orphans: [...report.orphans].sort(byDigest),
    uploads: [...report.uploads].sort(),
  };
}

/** `{ digest, size }` of each blob, in digest order, as `normalized` lists them. */
function removedBlobs(...list: Descriptor[]): GcReport['blobs'] {
  return list.map((b) => ({ digest: b.digest, size: b.size })).sort((a, b) => a.digest.localeCompare(b.digest));
}

const EMPTY_REPORT: GcReport = { dryRun: false, manifests: [], blobs: [], orphans: [], uploads: [], leftovers: [], bytesFreed: 0 };

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describe('collectGarbage on PGlite and the filesystem store', () => {
  beforeEach(reset);

  describe('unreferenced blobs', () => {
    it('removes a blob no manifest references once it is older than the grace period, and keeps it before', async () => {
      const blob = await pushBlob('gc/lonely', randomBytes(1234));

      // Just pushed: well within the default hour of grace.
      expect(await gc()).toEqual(EMPTY_REPORT);
      await expectBlobKept('gc/lonely', blob);

      // Half an hour old: still within the grace period.
      await ageBlob(blob.digest, HOUR / 2);
      expect(await gc()).toEqual(EMPTY_REPORT);
      await expectBlobKept('gc/lonely', blob);

      // Two hours old: past it.
      await ageBlob(blob.digest, 2 * HOUR);
      const report = await gc();
      expect(report).toEqual({ ...EMPTY_REPORT, blobs: [{ digest: blob.digest, size: 1234 }], bytesFreed: 1234 });
      await expectBlobGone('gc/lonely', blob.digest);

      // Nothing is left to collect.
      expect(await gc()).toEqual(EMPTY_REPORT);
    });

    it('removes with gracePeriodMs 0 everything unreferenced that was pushed before the run', async () => {
      const a = await pushBlob('gc/zero', randomBytes(10));
      const b = await pushBlob('gc/zero', randomBytes(20));
      await settle();
      const report = await gc({ gracePeriodMs: 0 });
      expect(normalized(report).blobs).toEqual(removedBlobs(a, b));
      expect(report.bytesFreed).toBe(30);
      await expectBlobGone('gc/zero', a.digest);
      await expectBlobGone('gc/zero', b.digest);
    });
  });

  describe('blobs of manifests', () => {
    it('keeps the blobs of a tagged manifest, and removes them once the manifest is deleted', async () => {
      const image = await pushImage('gc/app', 'v1');
      await ageEverything(2 * DAY);

      expect(await gc({ gracePeriodMs: 0 })).toEqual(EMPTY_REPORT);
      await expectBlobKept('gc/app', image.config);
      await expectBlobKept('gc/app', image.layer);
      await expectManifestKept('gc/app', 'v1', image.digest);

      await hub().registry.manifests.delete('gc/app', image.digest);
      await expectManifestGone('gc/app', image.digest);
      const report = await gc();
      expect(normalized(report)).toEqual({
        ...EMPTY_REPORT,
        blobs: removedBlobs(image.config, image.layer),
        bytesFreed: image.config.size + image.layer.size,
      });
      await expectBlobGone('gc/app', image.config.digest);
      await expectBlobGone('gc/app', image.layer.digest);
    });

    it('keeps the blobs of a manifest that lost its tag but still exists (without deleteUntagged)', async () => {
      const image = await pushImage('gc/untag', 'v1');
      await hub().registry.manifests.delete('gc/untag', 'v1');
      await ageEverything(2 * DAY);

      expect(await gc()).toEqual(EMPTY_REPORT);
      await expectManifestKept('gc/untag', image.digest);
      await expectBlobKept('gc/untag', image.config);
      await expectBlobKept('gc/untag', image.layer);
    });

    it('keeps a blob shared by two repositories while either still references it', async () => {
      const shared = await pushBlob('gc/one', randomBytes(500));
      const config = await pushBlob('gc/one', Buffer.from('{"os":"linux","shared":true}'), MT.config);
      expect(await hub().registry.blobs.mount('gc/two', shared.digest, 'gc/one')).toEqual({ digest: shared.digest, size: 500 });
      expect(await hub().registry.blobs.mount('gc/two', config.digest, 'gc/one')).toBeDefined();
      const manifest = manifestOf(MT.manifest, { schemaVersion: 2, mediaType: MT.manifest, config, layers: [shared] });
      await putManifest('gc/one', manifest, 'latest');
      await putManifest('gc/two', manifest, 'latest');

      await hub().registry.manifests.delete('gc/one', manifest.digest);
      await settle();
      // No grace at all: only the reference from gc/two keeps the blobs.
      expect(await gc({ gracePeriodMs: 0, deleteUntagged: true })).toEqual(EMPTY_REPORT);
      await expectBlobKept('gc/two', shared);
      await expectBlobKept('gc/two', config);
      // gc/one's links stay too: the blob is in the Hub, and gc/one may reference it again.
      await expectBlobKept('gc/one', shared);

      await hub().registry.manifests.delete('gc/two', manifest.digest);
      await settle();
      const report = await gc({ gracePeriodMs: 0 });
      expect(report.blobs.map((b) => b.digest).sort()).toEqual([shared.digest, config.digest].sort());
      await expectBlobGone('gc/one', shared.digest);
      await expectBlobGone('gc/two', shared.digest);
    });
  });

  describe('untagged manifests', () => {
    /**
     * gc/untagged holds:
     * - `tagged` (tag v1) and `doomed` (no tag, two days old), both plain images;
     * - `index` (tag multi) listing `child` (no tag), with `childReferrer` whose subject is `child`;
     * - `referrer` whose subject is `tagged`, and `doomedReferrer` whose subject is `doomed`;
     * - `recent`: no tag, but pushed within the grace period.
     */
    async function scenario() {
      const repo = 'gc/untagged';
      const tagged = await pushImage(repo, 'v1');
      const doomed = await pushImage(repo);
      const child = await pushImage(repo);
      const index = await pushIndex(repo, [child.descriptor], 'multi');
      const referrer = await pushReferrer(repo, tagged.descriptor);
      const childReferrer = await pushReferrer(repo, child.descriptor);
      const doomedReferrer = await pushReferrer(repo, doomed.descriptor);
      await ageEverything(2 * DAY);
      const recent = await pushImage(repo);
      return { repo, tagged, doomed, child, index, referrer, childReferrer, doomedReferrer, recent };
    }

    it('are kept, with their blobs, without deleteUntagged', async () => {
      const s = await scenario();
      expect(await gc({ deleteUntagged: false })).toEqual(EMPTY_REPORT);
      for (const m of [s.tagged, s.doomed, s.child, s.index, s.referrer, s.childReferrer, s.doomedReferrer, s.recent]) {
        await expectManifestKept(s.repo, m.digest);
      }
      await expectBlobKept(s.repo, s.doomed.layer);
      await expectBlobKept(s.repo, s.doomedReferrer.layer);
    });

    it('go with deleteUntagged when nothing keeps them, and their blobs go in the same run', async () => {
      const s = await scenario();
      const report = await gc({ deleteUntagged: true });

      const doomed = [s.doomed, s.doomedReferrer];
      expect(normalized(report).manifests).toEqual(
        doomed.map((m) => ({ repository: s.repo, digest: m.digest })).sort((a, b) => a.digest.localeCompare(b.digest)),
      );
      // The empty config `{}` is shared with the kept referrers, so only the fresh blobs go.
      const doomedBlobs = [s.doomed.config, s.doomed.layer, s.doomedReferrer.layer];
      expect(normalized(report).blobs).toEqual(removedBlobs(...doomedBlobs));
      expect(report.bytesFreed).toBe(doomedBlobs.reduce((sum, b) => sum + b.size, 0));
      expect(report.orphans).toEqual([]);

      for (const m of doomed) await expectManifestGone(s.repo, m.digest);
      for (const b of doomedBlobs) await expectBlobGone(s.repo, b.digest);

      // Kept: the tagged image and index, the index's untagged child, a referrer of a tagged
      // manifest, a referrer of the kept child, and a manifest younger than the grace period.
      for (const m of [s.tagged, s.index, s.child, s.referrer, s.childReferrer, s.recent]) {
        await expectManifestKept(s.repo, m.digest);
      }
      for (const m of [s.tagged, s.child, s.referrer, s.childReferrer, s.recent]) {
        await expectBlobKept(s.repo, m.config);
        await expectBlobKept(s.repo, m.layer);
      }
      expect(await hub().registry.manifests.referrers(s.repo, s.child.digest)).toEqual([
        expect.objectContaining({ digest: s.childReferrer.digest }),
      ]);

      // A second run finds nothing more.
      expect(await gc({ deleteUntagged: true })).toEqual(EMPTY_REPORT);
    });

    it('keeps a child only while its index is kept', async () => {
      const repo = 'gc/index';
      const child = await pushImage(repo);
      const index = await pushIndex(repo, [child.descriptor], 'multi');
      const childReferrer = await pushReferrer(repo, child.descriptor);
      await ageEverything(2 * DAY);
      expect((await gc({ deleteUntagged: true })).manifests).toEqual([]);

      await hub().registry.manifests.delete(repo, 'multi');
      const report = await gc({ deleteUntagged: true });
      expect(report.manifests.map((m) => m.digest).sort()).toEqual([index.digest, child.digest, childReferrer.digest].sort());
      for (const m of [index, child, childReferrer]) await expectManifestGone(repo, m.digest);
      await expectBlobGone(repo, child.layer.digest);
      await expectBlobGone(repo, childReferrer.layer.digest);
    });

    it('keeps an untagged manifest that was pushed again within the grace period', async () => {
      // A client re-pushing a multi-platform image PUTs each child by digest, then the index.
      // The children exist from a push two days ago; PUT answered 201 just now, so the grace
      // period ("nothing pushed more recently than this is touched") must cover them.
      const repo = 'gc/repush';
      const child = await pushImage(repo);
      await ageEverything(2 * DAY);
      await putManifest(repo, child);

      const report = await gc({ deleteUntagged: true });
      expect(report.manifests).toEqual([]);
      await expectManifestKept(repo, child.digest);
      // ...so that the index the client pushes next still finds its child.
      await expect(pushIndex(repo, [child.descriptor], 'multi')).resolves.toMatchObject({ digest: expect.any(String) });
    });
  });

  describe('dry run', () => {
    it('reports exactly what a real run then removes, and removes nothing itself', async () => {
      // One of everything GC removes, next to content it must keep.
      const kept = await pushImage('gc/dry', 'v1');
      const untagged = await pushImage('gc/dry');
      const lonely = await pushBlob('gc/dry', randomBytes(77));
      const orphan = Buffer.from(`orphan ${randomUUID()}`);
      await writeOrphan(orphan);
      const abandoned = await hub().registry.uploads.start('gc/dry');
      await hub().registry.uploads.append('gc/dry', abandoned.id, once(randomBytes(33)));
      const strayUpload = randomUUID();
      await hub().store.createUpload(strayUpload);
      await settle();
      const options = { deleteUntagged: true, gracePeriodMs: 0, uploadExpiryMs: 0 };

      const before = await snapshot();
      const dry = await gc({ ...options, dryRun: true });
      expect(await snapshot()).toEqual(before);

      expect(dry.dryRun).toBe(true);
      expect(dry.manifests).toEqual([{ repository: 'gc/dry', digest: untagged.digest }]);
      expect(dry.blobs.map((b) => b.digest).sort()).toEqual([untagged.config.digest, untagged.layer.digest, lonely.digest].sort());
      expect(dry.orphans).toEqual([{ digest: sha256(orphan), size: orphan.length }]);
      expect([...dry.uploads].sort()).toEqual([abandoned.id, strayUpload].sort());
      expect(dry.bytesFreed).toBe(untagged.config.size + untagged.layer.size + lonely.size + orphan.length);

      const real = await gc({ ...options, dryRun: false });
      expect(normalized(real)).toEqual(normalized({ ...dry, dryRun: false }));

      await expectManifestGone('gc/dry', untagged.digest);
      await expectBlobGone('gc/dry', lonely.digest);
      await expectBlobGone('gc/dry', untagged.layer.digest);
      expect(await hub().store.stat(sha256(orphan))).toBeNull();
      expect(await storedUploads()).toEqual([]);
      await expect(hub().registry.uploads.status('gc/dry', abandoned.id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
      await expectManifestKept('gc/dry', 'v1', kept.digest);
      await expectBlobKept('gc/dry', kept.layer);

      await settle();
      expect(await gc({ ...options, dryRun: true })).toEqual({ ...EMPTY_REPORT, dryRun: true });
    });
  });

  describe('orphan bytes', () => {
    it('removes bytes in storage that no row knows once they are older than the grace period; they are not blobs', async () => {
      const orphan = Buffer.from(`left behind by a crash ${randomUUID()}`);
      await writeOrphan(orphan);
      const image = await pushImage('gc/orphans', 'v1');

      // Just written: within the default grace period.
      expect(await gc()).toEqual(EMPTY_REPORT);
      expect(await hub().store.stat(sha256(orphan))).toMatchObject({ size: orphan.length });

      await settle();
      const report = await gc({ gracePeriodMs: 0 });
      expect(report).toEqual({
        ...EMPTY_REPORT,
        orphans: [{ digest: sha256(orphan), size: orphan.length }],
        bytesFreed: orphan.length,
      });
      expect(await hub().store.stat(sha256(orphan))).toBeNull();
      // Stored bytes that have a row are not orphans, however old.
      await expectBlobKept('gc/orphans', image.config);
      await expectBlobKept('gc/orphans', image.layer);
    });
  });

  describe('orphan bytes adopted by a push', () => {
    it('does not remove bytes that a push recorded a row for between the check and the delete', async () => {
      // Bytes without a row (a crash). A client then pushes the same content: `finish` writes the
      // row and, finding the bytes already stored, keeps them. If that lands after GC found no
      // row but before it deletes the bytes, the Hub must not end up with a row and no bytes.
      const orphan = Buffer.from(`crash leftover pushed again ${randomUUID()}`);
      await writeOrphan(orphan);
      await settle();
      const { registry, database } = hub();
      const upload = await registry.uploads.start('gc/adopt');
      await registry.uploads.append('gc/adopt', upload.id, once(orphan));
      // The push is started, not awaited: GC deletes while holding the blob's row, so the push
      // has to wait for GC, never the other way round.
      let push: Promise<unknown> | undefined;
      const store = hookedStore(hub().store, {
        beforeDelete: async (digest) => {
          if (digest === sha256(orphan)) push ??= registry.uploads.finish('gc/adopt', upload.id, digest);
        },
      });

      await collectGarbage(database.db, store, { ...DEFAULTS, gracePeriodMs: 0 });
      await push;

      // The push succeeded, so its blob must be whole: row and bytes.
      await expectBlobKept('gc/adopt', { mediaType: MT.layer, digest: sha256(orphan), size: orphan.length });
    });
  });

  describe('abandoned uploads', () => {
    it('removes an upload idle past the expiry, row and bytes, and keeps a fresh one', async () => {
      const { registry, store } = hub();
      const stale = await registry.uploads.start('gc/uploads');
      await registry.uploads.append('gc/uploads', stale.id, once(randomBytes(50)));
      await ageUpload(stale.id, 2 * DAY);
      const freshBytes = randomBytes(60);
      const fresh = await registry.uploads.start('gc/uploads');
      await registry.uploads.append('gc/uploads', fresh.id, once(freshBytes));
      // Bytes of an upload with no session (a crash before the row was written), just now.
      const stray = randomUUID();
      await store.createUpload(stray);

      const report = await gc();
      expect(report).toEqual({ ...EMPTY_REPORT, uploads: [stale.id] });
      await expect(registry.uploads.status('gc/uploads', stale.id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
      expect(await storedUploads()).toEqual([fresh.id, stray].sort());

      // The fresh upload is intact and completes.
      expect(await registry.uploads.status('gc/uploads', fresh.id)).toEqual({ id: fresh.id, size: 60 });
      await expect(registry.uploads.finish('gc/uploads', fresh.id, sha256(freshBytes))).resolves.toEqual({
        digest: sha256(freshBytes),
        size: 60,
      });

      // Session-less upload bytes go once they are older than the expiry.
      await settle();
      expect(await gc({ uploadExpiryMs: 0 })).toEqual({ ...EMPTY_REPORT, uploads: [stray] });
      expect(await storedUploads()).toEqual([]);
    });
  });

  describe('storage leftovers', () => {
    it('has the store clean up what is older than the upload expiry, and reports it; a dry run does not', async () => {
      const { database } = hub();
      const cutoffs: Date[] = [];
      const store: BlobStore = {
        ...hookedStore(hub().store, {}),
        async cleanup(olderThan: Date): Promise<string[]> {
          cutoffs.push(olderThan);
          return ['multipart upload blobs/sha256/aa/aaaa 1234'];
        },
      };

      const before = Date.now();
      const report = await collectGarbage(database.db, store, DEFAULTS);
      expect(report).toEqual({ ...EMPTY_REPORT, leftovers: ['multipart upload blobs/sha256/aa/aaaa 1234'] });
      expect(cutoffs).toHaveLength(1);
      expect(cutoffs[0]!.getTime()).toBeGreaterThanOrEqual(before - DAY);
      expect(cutoffs[0]!.getTime()).toBeLessThanOrEqual(Date.now() - DAY);

      expect(await collectGarbage(database.db, store, { ...DEFAULTS, dryRun: true })).toEqual({ ...EMPTY_REPORT, dryRun: true });
      expect(cutoffs).toHaveLength(1);
    });
  });

  describe('an abandoned upload resumed while GC runs', () => {
    it('ends the session and its bytes together: a resume either comes first and keeps both, or finds the upload unknown', async () => {
      // GC deletes idle sessions with one statement that re-checks `updated_at < expiry`, and
      // only then drops the bytes of the sessions it really ended. A client resuming right
      // after that statement must be told the upload is gone, with nothing of it left behind.
      const { registry, database } = hub();
      const upload = await registry.uploads.start('gc/resume');
      await registry.uploads.append('gc/resume', upload.id, once(randomBytes(50)));
      await ageUpload(upload.id, 2 * DAY);
      let resumeError: unknown;
      const store = hookedStore(hub().store, {
        beforeListUploads: async () => {
          resumeError = await registry.uploads.append('gc/resume', upload.id, once(randomBytes(70))).catch((err: unknown) => err);
        },
      });

      const report = await collectGarbage(database.db, store, DEFAULTS);
      expect(resumeError).toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
      expect(report.uploads).toEqual([upload.id]);
      expect(await storedUploads()).toEqual([]);

      // Resumed before GC runs: the session is fresh again and GC leaves it whole.
      const kept = await registry.uploads.start('gc/resume');
      await registry.uploads.append('gc/resume', kept.id, once(randomBytes(50)));
      await ageUpload(kept.id, 2 * DAY);
      await registry.uploads.append('gc/resume', kept.id, once(randomBytes(70)));
      expect((await gc()).uploads).toEqual([]);
      expect(await registry.uploads.status('gc/resume', kept.id)).toEqual({ id: kept.id, size: 120 });
      expect(await storedUploads()).toEqual([kept.id]);
    });
  });

  describe('safety while pushes go on', () => {
    it('never removes an unreferenced blob whose last use is recent', async () => {
      const { registry } = hub();
      const mounted = await pushBlob('gc/src', randomBytes(40));
      const repushed = await pushBlob('gc/src', randomBytes(41));
      const referenced = await pushBlob('gc/src', randomBytes(42));
      const config = await pushBlob('gc/src', Buffer.from('{"os":"linux","safety":1}'), MT.config);
      await ageEverything(2 * HOUR);

      const dry = await gc({ dryRun: true });
      expect(dry.blobs.map((b) => b.digest).sort()).toEqual([mounted, repushed, referenced, config].map((b) => b.digest).sort());

      // Linked again by a mount into another repository.
      expect(await registry.blobs.mount('gc/dst', mounted.digest, 'gc/src')).toBeDefined();
      // Pushed again: the upload finds the blob and only marks it used.
      const again = await registry.uploads.start('gc/src');
      await registry.uploads.finish('gc/src', again.id, repushed.digest, once(await readStored(repushed.digest)));
      // Referenced by a manifest that is deleted again right away: unreferenced, but used now.
      const manifest = manifestOf(MT.manifest, { schemaVersion: 2, mediaType: MT.manifest, config, layers: [referenced] });
      await putManifest('gc/src', manifest);
      await registry.manifests.delete('gc/src', manifest.digest);

      expect(await gc({ deleteUntagged: true })).toEqual(EMPTY_REPORT);
      await expectBlobKept('gc/dst', mounted);
      await expectBlobKept('gc/src', repushed);
      await expectBlobKept('gc/src', referenced);
      await expectBlobKept('gc/src', config);
    });

    it('leaves either a blob that a concurrent mount or manifest got, or no blob at all', async () => {
      const { registry } = hub();
      // The pushes start together with GC or some event-loop turns later, so that rounds see the
      // pushes win and GC win. PGlite runs one statement at a time, so finer interleavings are not
      // reachable here; whichever side wins, the blob and its bytes must agree with the outcome.
      const delays = [0, 1, 0, 3];
      for (const [round, delay] of delays.entries()) {
        const layer = await pushBlob('gc/race', randomBytes(64));
        const config = await pushBlob('gc/race', Buffer.from(JSON.stringify({ os: 'linux', round })), MT.config);
        await ageEverything(2 * HOUR);
        const manifest = manifestOf(MT.manifest, { schemaVersion: 2, mediaType: MT.manifest, config, layers: [layer] });

        const [report, mount, put] = await Promise.all([
          gc(),
          hops(delay).then(() => registry.blobs.mount('gc/race-copy', layer.digest, 'gc/race')),
          hops(delay).then(() =>
            registry.manifests.put('gc/race', `r${round}`, manifest.bytes, manifest.mediaType).then(
              () => 'stored' as const,
              (err: unknown) => err,
            ),
          ),
        ]);
        const removed = new Set(report.blobs.map((b) => b.digest));
        if (mount) {
          expect(removed.has(layer.digest), `round ${round}: a mounted blob was removed`).toBe(false);
          await expectBlobKept('gc/race-copy', layer);
        }
        if (put === 'stored') {
          expect(removed.has(layer.digest) || removed.has(config.digest), `round ${round}: a referenced blob was removed`).toBe(false);
          await expectBlobKept('gc/race', layer);
          await expectBlobKept('gc/race', config);
          await expectManifestKept('gc/race', `r${round}`, manifest.digest);
        } else {
          expect(put, `round ${round}`).toMatchObject({ code: 'MANIFEST_BLOB_UNKNOWN' });
        }
        for (const blob of [layer, config]) {
          if (removed.has(blob.digest)) expect(await hub().store.stat(blob.digest)).toBeNull();
          else expect(await hub().store.stat(blob.digest)).not.toBeNull();
        }
      }
    });
  });
});

/**
 * The Hub's own store with a hook where a concurrent push would land; every other call goes
 * straight to the store.
 */
function hookedStore(
  store: BlobStore,
  hooks: { beforeDelete?: (digest: string) => Promise<void>; beforeListUploads?: () => Promise<void> },
): BlobStore {
  return {
    ...bindAll(store),
    async delete(digest: string): Promise<void> {
      await hooks.beforeDelete?.(digest);
      await store.delete(digest);
    },
    async *listUploads(): AsyncIterable<StoredUpload> {
      await hooks.beforeListUploads?.();
      yield* store.listUploads();
    },
  };
}

/** The store's methods bound to it, so that they can be spread into another object. */
function bindAll(store: BlobStore): BlobStore {
  const bound: Record<string, unknown> = { description: store.description };
  const proto = Object.getPrototypeOf(store) as object;
  for (const key of Object.getOwnPropertyNames(proto)) {
    const value = (store as unknown as Record<string, unknown>)[key];
    if (key !== 'constructor' && typeof value === 'function') bound[key] = value.bind(store);
  }
  return bound as unknown as BlobStore;
}

/** Waits for `n` turns of the event loop. */
async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Commits `data` straight into the store, with no row: what a crash after the rename leaves. */
async function writeOrphan(data: Uint8Array): Promise<void> {
  const { store } = hub();
  const id = randomUUID();
  await store.createUpload(id);
  const size = await store.appendUpload(id, 0, once(data));
  await store.commitUpload(id, size, sha256(data));
}

async function readStored(digest: string): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of await hub().store.read(digest)) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

// Last: it closes the shared backends to hand the data directory to a Hub, then reopens them.
describe('runGarbageCollection', () => {
  /** Pushes a blob to a running Hub over HTTP (POST, then PUT with the digest). */
  async function pushOverHttp(base: string, repo: string, data: Uint8Array): Promise<string> {
    const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { Authorization: ADMIN_AUTHORIZATION } });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location') ?? '', base);
    location.searchParams.set('digest', sha256(data));
    const put = await fetch(location, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream', Authorization: ADMIN_AUTHORIZATION } });
    expect(put.status, await put.clone().text()).toBe(201);
    return sha256(data);
  }

  const headBlob = async (base: string, repo: string, digest: string) =>
    (await fetch(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: { Authorization: ADMIN_AUTHORIZATION } })).status;

  // Only the embedded database is held by one process; with PostgreSQL, GC always runs directly.
  it.skipIf(Boolean(process.env.NOCKER_TEST_DATABASE_URL))('asks the Hub that holds the embedded database, and opens the data itself when none runs', async () => {
    await reset();
    const old = await pushBlob('gc/runner', randomBytes(111));
    await ageBlob(old.digest, 2 * HOUR);
    await hub().close();
    backends = undefined;

    const running = await startTestHub({ environment });
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const secondBytes = Buffer.from('pushed while the Hub ran');
    let second: string;
    try {
      expect(await lockOwner(dataDir)).toMatchObject({ pid: process.pid, url: running.url });
      expect(await headBlob(running.url, 'gc/runner', old.digest)).toBe(200);

      const dry = await runGarbageCollection(config, { ...DEFAULTS, dryRun: true });
      expect(dry).toEqual({ ...EMPTY_REPORT, dryRun: true, blobs: [{ digest: old.digest, size: 111 }], bytesFreed: 111 });
      expect(await headBlob(running.url, 'gc/runner', old.digest)).toBe(200);

      fetchSpy.mockClear();
      const report = await runGarbageCollection(config, DEFAULTS);
      expect(fetchSpy).toHaveBeenCalledTimes(1);
      expect(fetchSpy).toHaveBeenCalledWith(`${running.url}/api/v1/gc`, expect.objectContaining({ method: 'POST' }));
      expect(report).toEqual({ ...EMPTY_REPORT, blobs: [{ digest: old.digest, size: 111 }], bytesFreed: 111 });
      expect(await headBlob(running.url, 'gc/runner', old.digest)).toBe(404);

      second = await pushOverHttp(running.url, 'gc/runner', secondBytes);
    } finally {
      fetchSpy.mockRestore();
      await running.close();
    }

    // No Hub any more: runGarbageCollection opens the data directory itself, under the lock.
    expect(await lockOwner(dataDir)).toBeUndefined();
    const direct = vi.spyOn(globalThis, 'fetch');
    try {
      await settle();
      const report = await runGarbageCollection(config, { ...DEFAULTS, gracePeriodMs: 0 });
      expect(direct).not.toHaveBeenCalled();
      expect(report).toEqual({ ...EMPTY_REPORT, blobs: [{ digest: second, size: secondBytes.length }], bytesFreed: secondBytes.length });
    } finally {
      direct.mockRestore();
    }
    expect(await lockOwner(dataDir)).toBeUndefined();

    backends = await openBackends(config);
    await expectBlobGone('gc/runner', second);
    await expectBlobGone('gc/runner', old.digest);
  });
});
