/**
 * Two Hub replicas — separate processes on their own ports — sharing one PostgreSQL database and
 * one blob store (the same environment: the same data directory's blobs with fs, the same bucket
 * with S3). A client may be sent to either replica at any request: uploads, manifests, tags and
 * referrers are the same on both, and garbage collection on one is safe while the other takes
 * pushes.
 *
 * Runs only with NOCKER_TEST_DATABASE_URL: the embedded PGlite database belongs to one process.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GcReport } from '../hub/registry/gc.ts';
import { createTestEnvironment, type TestEnvironment } from './harness.ts';
import { checkReferences, expectBlobReadable, Ledger } from './consistency.ts';
import { kill, pollUntil, runNocker, sleep, spawnHub, type HubProcess } from './processes.ts';
import {
  artifactManifest,
  bodyBytes,
  descriptorOf,
  EMPTY_JSON,
  getManifest,
  http,
  imageManifest,
  MT,
  parseErrorBody,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  randomBlob,
  sha256,
  uniqueRepo,
  withQuery,
} from './helpers.ts';

const MiB = 1024 * 1024;
/** Images pushed to one replica while the other collects garbage. */
const PUSHES = 30;
/** Images pushed at once. */
const PUSHERS = 3;
/** A push whose blobs GC took before its manifest came is retried with fresh uploads, at most this often. */
const MAX_ATTEMPTS = 10;
/** Grace period of the collections that run while the pushes go on. */
const GC_GRACE_MS = 2000;

/** The path and query of a Location, to send to another replica than the one that gave it. */
function onOther(location: string): string {
  const url = new URL(location, 'http://replica.invalid');
  return `${url.pathname}${url.search}`;
}

describe.skipIf(!process.env.NOCKER_TEST_DATABASE_URL)('two Hub replicas on one PostgreSQL database and one blob store', () => {
  let environment: TestEnvironment;
  let a: HubProcess;
  let b: HubProcess;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    // Started together: both migrate the new database at once.
    [a, b] = await Promise.all([spawnHub(environment), spawnHub(environment)]);
  });

  afterAll(async () => {
    await Promise.all([a, b].filter((hub) => hub !== undefined).map((hub) => kill(hub)));
    await environment?.dispose();
  });

  /**
   * Sends `push` to B while a transaction of the test's own holds the `tags` table, so that the
   * push's transaction — begun, its blob and manifest rows touched and locked — waits at its tag:
   * a push slowed down, as by a busy database. GC with no grace period is started on A; once GC
   * waits for the push's rows (or has finished), the table is let go and both complete. Every
   * step is driven by what pg_stat_activity shows, not by sleeps.
   */
  async function pushWhileGcWaits(
    push: () => Promise<Response>,
    gcOptions: { deleteUntagged: boolean },
  ): Promise<{ push: Response; gc: GcReport }> {
    const sql = postgres(environment.env.DATABASE_URL as string, { max: 2, onnotice: () => {} });
    try {
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked = () => {};
      const holding = new Promise<void>((resolve) => (locked = resolve));
      const holder = sql.begin(async (tx) => {
        await tx`lock table tags in exclusive mode`;
        locked();
        await released;
      });
      await holding;
      const waitingOn = async (statement: string) => {
        const [row] = await sql`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query ilike ${`${statement}%`}`;
        return (row?.n ?? 0) > 0;
      };

      const pushing = push();
      const pushWaits = await pollUntil(() => waitingOn('insert into "tags"'), 10_000);
      expect(pushWaits, 'the push waits at its tag').toBe(true);
      let gcDone = false;
      const collecting = http(a.url, '/api/v1/gc', {
        method: 'POST',
        body: JSON.stringify({ gracePeriodMs: 0, ...gcOptions }),
        headers: { 'Content-Type': 'application/json' },
      }).finally(() => (gcDone = true));
      await pollUntil(async () => gcDone || (await waitingOn('delete from')), 10_000);
      release();
      await holder;
      const [pushed, collected] = await Promise.all([pushing, collecting]);
      expect(collected.status).toBe(200);
      return { push: pushed, gc: (await collected.json()) as GcReport };
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  it('a token issued by one replica is accepted by another with a signing key of its own', async () => {
    // Behind a load balancer all replicas answer to one name: the token service.
    const replicaWithOwnKey = () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      return spawnHub({ ...environment, env: { ...environment.env, NOCKER_TOKEN_KEY: key, NOCKER_AUTH_SERVICE: 'hub.replicas.test' } });
    };
    const [c, d] = await Promise.all([replicaWithOwnKey(), replicaWithOwnKey()]);
    try {
      const repo = uniqueRepo('replica-token');
      await pushImage(a.url, repo, 'v1');
      for (const [issuer, verifier] of [
        [c, d],
        [d, c],
      ] as const) {
        const granted = await http(issuer.url, `/token?service=hub.replicas.test&scope=repository:${repo}:pull`);
        expect(granted.status).toBe(200);
        const { token } = (await granted.json()) as { token: string };
        const res = await http(verifier.url, `/v2/${repo}/manifests/v1`, { headers: { Authorization: `Bearer ${token}`, Accept: MT.ociManifest } });
        expect(res.status, `a token of ${issuer.url} used on ${verifier.url}`).toBe(200);
      }
      const jwks = (await (await http(c.url, '/.well-known/jwks.json', { anonymous: true })).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all([kill(c), kill(d)]);
    }
  });

  it('a chunked upload that alternates between the replicas completes, and both serve the blob byte for byte', async () => {
    const repo = uniqueRepo('replicas-upload');
    const blob = randomBlob(MiB + 700 * 1024);
    const first = blob.subarray(0, MiB);
    const second = blob.subarray(MiB);
    const digest = sha256(blob);

    const started = await http(a.url, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const chunk = (bytes: Buffer, start: number) => ({
      method: 'PATCH',
      body: bytes,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${start}-${start + bytes.length - 1}`,
        'Content-Length': String(bytes.length),
      },
    });

    const patched1 = await http(b.url, onOther(started.headers.get('location') ?? ''), chunk(first, 0));
    expect(patched1.status, `chunk 1 on B: ${await patched1.clone().text()}`).toBe(202);
    expect(patched1.headers.get('range')).toBe(`0-${first.length - 1}`);

    const patched2 = await http(a.url, onOther(patched1.headers.get('location') ?? ''), chunk(second, first.length));
    expect(patched2.status, `chunk 2 on A: ${await patched2.clone().text()}`).toBe(202);
    expect(patched2.headers.get('range')).toBe(`0-${blob.length - 1}`);

    const status = await http(b.url, onOther(patched2.headers.get('location') ?? ''));
    expect(status.status).toBe(204);
    expect(status.headers.get('range'), 'B sees the bytes A took').toBe(`0-${blob.length - 1}`);

    const closed = await http(b.url, withQuery(onOther(status.headers.get('location') ?? ''), { digest }), { method: 'PUT' });
    expect(closed.status, `closing PUT on B: ${await closed.clone().text()}`).toBe(201);
    expect(closed.headers.get('docker-content-digest')).toBe(digest);

    for (const hub of [a, b]) {
      const bytes = await expectBlobReadable(hub.url, repo, digest, `${hub === a ? 'A' : 'B'}: `);
      expect(bytes.equals(blob), `the blob on ${hub === a ? 'A' : 'B'} is the one uploaded`).toBe(true);
    }
  });

  it('a manifest and tag pushed to one replica are served by the other at once, and so are referrers pushed there', async () => {
    const repo = uniqueRepo('replicas-manifest');
    const image = await pushImage(a.url, repo, 'v1');

    for (const reference of ['v1', image.manifest.digest]) {
      const res = await getManifest(b.url, repo, reference);
      expect(res.status, `B serves ${reference}`).toBe(200);
      expect((await bodyBytes(res)).equals(image.manifest.bytes)).toBe(true);
      expect(res.headers.get('docker-content-digest')).toBe(image.manifest.digest);
    }
    const tags = await http(b.url, `/v2/${repo}/tags/list`);
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['v1']);
    await expectBlobReadable(b.url, repo, image.layer.descriptor.digest, 'B: ');

    // A signature pushed to B, for the image pushed to A.
    const artifactType = 'application/vnd.nocker.test.signature';
    const signature = randomBlob(128);
    await pushBlob(b.url, repo, EMPTY_JSON);
    await pushBlob(b.url, repo, signature);
    const referrer = artifactManifest({
      artifactType,
      layers: [descriptorOf('application/octet-stream', signature)],
      subject: image.manifest.descriptor,
    });
    const pushed = await pushManifest(b.url, repo, referrer.digest, referrer);
    expect(pushed.headers.get('oci-subject')).toBe(image.manifest.digest);
    for (const hub of [a, b]) {
      const res = await http(hub.url, `/v2/${repo}/referrers/${image.manifest.digest}`);
      expect(res.status).toBe(200);
      const index = (await res.json()) as { manifests: { digest: string; artifactType?: string }[] };
      expect(index.manifests, `referrers on ${hub === a ? 'A' : 'B'}`).toEqual([
        expect.objectContaining({ digest: referrer.digest, artifactType }),
      ]);
    }
  });

  it(`GC on one replica while the other takes ${PUSHES} pushes: every acknowledged push stays whole on both`, async () => {
    const repo = uniqueRepo('replicas-gc');
    const ledger = new Ledger();
    const stats = { retries: 0, apiRuns: 0, cliRuns: 0 };
    /** Which GC run removed each blob, from the runs' reports. */
    const removedBy = new Map<string, string>();
    let pushing = true;

    // Garbage for the collector, so that each run has work while the pushes go on.
    for (let i = 0; i < 40; i += 1) await pushBlob(a.url, repo, randomBlob(128));

    // A few pushers at once, as a CI job pushing several images would.
    let next = 0;
    const pusher = async () => {
      while (next < PUSHES) {
        const tag = `img-${next++}`;
        for (let attempt = 1; ; attempt += 1) {
          const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag, attempt, nonce: randomBytes(8).toString('hex') }));
          const layer = randomBlob(2048);
          await pushBlob(b.url, repo, config);
          await pushBlob(b.url, repo, layer);
          const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, config), layers: [descriptorOf(MT.ociLayer, layer)] });
          const res = await putManifest(b.url, repo, tag, manifest.bytes, manifest.mediaType);
          const text = await res.text();
          if (res.status === 201) {
            ledger.blob(repo, sha256(config), config);
            ledger.blob(repo, sha256(layer), layer);
            ledger.manifest(repo, manifest.digest, manifest.bytes, tag);
            break;
          }
          // GC took a blob between its push and the manifest's: a clean 400, and the push is retried.
          expect(res.status, `manifest ${tag}, attempt ${attempt}: ${text}`).toBe(400);
          expect(parseErrorBody(text).errors.map((e) => e.code)).toContain('MANIFEST_BLOB_UNKNOWN');
          expect(attempt, `${tag} kept losing its blobs to GC`).toBeLessThan(MAX_ATTEMPTS);
          stats.retries += 1;
        }
      }
    };
    const pushes = Promise.all(Array.from({ length: PUSHERS }, pusher)).finally(() => {
      pushing = false;
    });

    // Collections through A's API, each followed by a pause as long as the run, and by
    // `nocker hub gc` as a third process. A short grace period: long enough for a push to get
    // from its blobs to its manifest on a loaded machine, short enough to collect while pushing.
    const api = (async () => {
      while (pushing) {
        const started = performance.now();
        const res = await http(a.url, '/api/v1/gc', {
          method: 'POST',
          body: JSON.stringify({ gracePeriodMs: GC_GRACE_MS, deleteUntagged: true }),
          headers: { 'Content-Type': 'application/json' },
        });
        expect(res.status, await res.clone().text()).toBe(200);
        const report = (await res.json()) as { blobs: { digest: string }[] };
        stats.apiRuns += 1;
        for (const { digest } of report.blobs) removedBy.set(digest, `API run ${stats.apiRuns} on A`);
        await sleep(Math.max(20, performance.now() - started));
      }
    })();
    const cli = (async () => {
      do {
        const output = await runNocker(environment, ['hub', 'gc', '--grace', `${GC_GRACE_MS}ms`]);
        stats.cliRuns += 1;
        for (const [, digest] of output.matchAll(/^removed blob (\S+)/gm)) removedBy.set(digest as string, `nocker hub gc run ${stats.cliRuns}`);
      } while (pushing);
    })();
    await Promise.all([pushes, api, cli]);

    // One more collection once all is quiet: acknowledged pushes are tagged, so they stay.
    const last = await http(a.url, '/api/v1/gc', {
      method: 'POST',
      body: JSON.stringify({ gracePeriodMs: 0, deleteUntagged: true }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(last.status).toBe(200);

    expect(ledger.size.manifests).toBe(PUSHES);
    const lost = ledger.blobDigests().flatMap(({ digest }) => (removedBy.has(digest) ? [`${digest} (${removedBy.get(digest)})`] : []));
    expect(lost, 'blobs of acknowledged pushes that GC removed').toEqual([]);
    await ledger.verify([a.url, b.url], 'after GC during pushes: ');
    for (const hub of [a, b]) {
      const walk = await checkReferences(hub.url, [], `${hub === a ? 'A' : 'B'}: `);
      expect(walk.manifests).toBeGreaterThanOrEqual(PUSHES);
    }
    console.info(
      `replicas: ${PUSHES} pushes acknowledged, ${stats.retries} retried after MANIFEST_BLOB_UNKNOWN; ` +
        `GC ran ${stats.apiRuns} times on A's API and ${stats.cliRuns} times as \`nocker hub gc\``,
    );
  }, 120_000);
  it('GC that waits for a manifest push in flight does not remove the blobs that push then references', async () => {
    const repo = uniqueRepo('replicas-held');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }));
    const layer = randomBlob(1024);
    await pushBlob(b.url, repo, config);
    await pushBlob(b.url, repo, layer);
    const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, config), layers: [descriptorOf(MT.ociLayer, layer)] });

    const { push, gc } = await pushWhileGcWaits(() => putManifest(b.url, repo, 'v1', manifest.bytes, manifest.mediaType), { deleteUntagged: false });
    expect(push.status, await push.clone().text()).toBe(201);
    // Acknowledged: the manifest and everything it lists stay.
    const referenced = [sha256(config), sha256(layer)];
    expect(
      gc.blobs.map((blob) => blob.digest).filter((digest) => referenced.includes(digest)),
      'blobs of the acknowledged manifest that GC removed',
    ).toEqual([]);
    for (const hub of [a, b]) {
      expect((await getManifest(hub.url, repo, 'v1')).status).toBe(200);
      for (const digest of referenced) await expectBlobReadable(hub.url, repo, digest, `${hub === a ? 'A' : 'B'}: `);
    }
  });

  it('GC that waits for a push tagging an untagged manifest does not remove that manifest', async () => {
    const repo = uniqueRepo('replicas-held-tag');
    const image = await pushImage(b.url, repo);
    expect((await getManifest(a.url, repo, image.manifest.digest)).status, 'pushed untagged').toBe(200);

    const { push, gc } = await pushWhileGcWaits(() => putManifest(b.url, repo, 'v1', image.manifest.bytes, image.manifest.mediaType), {
      deleteUntagged: true,
    });
    expect(push.status, await push.clone().text()).toBe(201);
    expect(
      gc.manifests.filter((m) => m.digest === image.manifest.digest),
      'the manifest GC removed although the push tagging it was acknowledged',
    ).toEqual([]);
    for (const hub of [a, b]) {
      const res = await getManifest(hub.url, repo, 'v1');
      expect(res.status, `${hub === a ? 'A' : 'B'} serves the tag pushed`).toBe(200);
      expect((await bodyBytes(res)).equals(image.manifest.bytes)).toBe(true);
      await expectBlobReadable(hub.url, repo, image.layer.descriptor.digest, `${hub === a ? 'A' : 'B'}: `);
    }
  });
});
