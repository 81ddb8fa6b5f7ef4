/**
 * A Hub process killed with SIGKILL at the worst moments — halfway through a chunk, halfway
 * through a monolithic upload, right after a manifest PUT, in the middle of garbage collection —
 * then started again on the same backends (whatever the test environment gives: PGlite + fs by
 * default, PostgreSQL and S3 under NOCKER_TEST_DATABASE_URL / NOCKER_TEST_S3_ENDPOINT).
 *
 * After every restart: everything acknowledged before the kill is served byte for byte; no
 * manifest the Hub serves lists a blob it cannot serve; an interrupted upload resumes from its
 * acknowledged bytes or is cleanly unknown; and the Hub takes new pushes. What was not
 * acknowledged may or may not have happened, but never in part.
 *
 * The kills are timed by progress the test observes (bytes taken by the socket, bytes the store
 * holds, the Hub's request log, blobs disappearing from storage), not by long sleeps.
 */
import { randomBytes } from 'node:crypto';
import { request, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../storage/blobstore.ts';
import { openBlobStore } from '../hub/server.ts';
import { createTestEnvironment, type TestEnvironment } from './harness.ts';
import { checkReferences, Ledger } from './consistency.ts';
import { kill, pollUntil, runNocker, sleep, spawnHub, startNocker, type HubProcess } from './processes.ts';
import {
  artifactManifest,
  bodyBytes,
  descriptorOf,
  EMPTY_JSON,
  getManifest,
  http,
  imageManifest,
  MT,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  randomBlob,
  sha256,
  startUpload,
  uniqueRepo,
  withCredentials,
  withQuery,
  type Descriptor,
} from './helpers.ts';

const MiB = 1024 * 1024;
/** Kills during manifest PUTs, and the fresh manifests PUT concurrently in each (half by tag, half by digest). */
const MANIFEST_ROUNDS = 5;
const MANIFESTS_PER_ROUND = 4;
/** Garbage for the GC crash: lone blobs, and untagged manifests with two blobs of their own. */
const GARBAGE_BLOBS = 160;
const GARBAGE_MANIFESTS = 40;
/** On S3 every deletion is a request of its own: a fraction of the garbage keeps GC busy as long. */
const S3_GARBAGE_SHARE = 0.3;

/** A request sent with node:http, so that the test decides when its body goes out. */
interface InFlight {
  request: ClientRequest;
  /** The response status, once (if ever) one arrived. */
  status(): number | undefined;
}

function send(base: string, method: string, target: string, headers: OutgoingHttpHeaders): InFlight {
  let status: number | undefined;
  const req = request(new URL(target, base), { method, headers: withCredentials(headers as Record<string, string>) });
  req.on('response', (res) => {
    status = res.statusCode;
    res.resume();
  });
  // The Hub dies under it: the connection reset is expected.
  req.on('error', () => undefined);
  return { request: req, status: () => status };
}

/** Writes `chunk` and resolves once the socket has taken it (so the Hub is reading). */
function write(req: ClientRequest, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve())));
}

/** Runs `work(0…count-1)`, at most `concurrency` at a time. */
async function inParallel<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** One request per blob: `POST …/uploads/?digest=` with the bytes. */
async function pushMonolithic(base: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const res = await http(base, withQuery(`/v2/${repo}/blobs/uploads/`, { digest }), {
    method: 'POST',
    body: bytes,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
  });
  expect(res.status, `monolithic push of ${digest}: ${await res.clone().text()}`).toBe(201);
  return digest;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** What a kill moment can wait for. */
interface Progress {
  /** The Hub logged a 201 for the first, the second of the round's PUTs: committed, maybe not yet answered. */
  logged: { first: Promise<unknown>; second: Promise<unknown> };
  /** How long a manifest PUT took on this Hub lately (ms, measured in the round before). */
  putMs: number;
}

/**
 * When, after a round's manifest PUTs went out, the Hub is killed: moments spread over the time
 * the Hub takes to store them, set by its request log (a 201 is logged once the manifest is
 * committed, just before the response is written) or by how long a PUT was seen to take.
 */
const KILL_MOMENTS: { name: string; wait(progress: Progress): Promise<unknown> }[] = [
  { name: 'as soon as the bodies are sent', wait: async () => undefined },
  { name: 'after half the time a PUT takes', wait: ({ putMs }) => sleep(putMs / 2) },
  { name: 'when the Hub logs the first 201', wait: ({ logged }) => logged.first },
  { name: 'after the time a PUT takes', wait: ({ putMs }) => sleep(putMs) },
  { name: 'when the Hub logs the second 201', wait: ({ logged }) => logged.second },
];

describe('a Hub killed with SIGKILL and started again on the same backends', () => {
  let environment: TestEnvironment;
  let hub: HubProcess;
  /** The test's own view of the blob store, to watch uploads grow and GC delete. */
  let store: BlobStore;
  const ledger = new Ledger();
  /** Manifests whose PUT was interrupted (served whole with their blobs, or not at all). */
  const attempted: { repo: string; digest: string }[] = [];
  /** The 64 MiB blob of the monolithic upload, pinned by tag `big`, walked once more at the end. */
  let big: { repo: string; digest: string } | undefined;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    store = await openBlobStore(environment.config.storage);
    hub = await spawnHub(environment);
    const repo = uniqueRepo('crash-base');
    ledger.image(repo, await pushImage(hub.url, repo, 'before'), 'before');
  });

  afterAll(async () => {
    if (hub) await kill(hub);
    await store?.close();
    await environment?.dispose();
  });

  async function restart(): Promise<void> {
    await kill(hub);
    hub = await spawnHub(environment);
  }

  /** Everything acknowledged is served; every manifest served is whole, with all its blobs. */
  async function expectConsistent(what: string, extra: { repo: string; digest: string }[] = []): Promise<void> {
    await ledger.verify([hub.url], what);
    await checkReferences(hub.url, [...attempted, ...extra], what);
  }

  /** Keeps an acknowledged blob referenced (by a tagged artifact), so that GC with no grace keeps it. */
  async function pin(repo: string, tag: string, blob: Descriptor): Promise<void> {
    await pushBlob(hub.url, repo, EMPTY_JSON);
    const manifest = artifactManifest({ artifactType: 'application/vnd.nocker.test.pin', layers: [blob] });
    await pushManifest(hub.url, repo, tag, manifest);
    ledger.manifest(repo, manifest.digest, manifest.bytes, tag);
  }

  it('killed halfway through a chunk: the upload resumes from the acknowledged bytes', async () => {
    const repo = uniqueRepo('crash-chunk');
    const blob = randomBlob(3 * MiB);
    const first = blob.subarray(0, MiB);

    const location = await startUpload(hub.url, repo);
    const patched = await http(hub.url, location, {
      method: 'PATCH',
      body: first,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${first.length - 1}`, 'Content-Length': String(first.length) },
    });
    expect(patched.status).toBe(202);
    const next = patched.headers.get('location') ?? location;

    // Half of the second chunk is in when the Hub dies: those bytes were never acknowledged.
    const hanging = send(hub.url, 'PATCH', next, {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${first.length}-${2 * first.length - 1}`,
      'Content-Length': String(first.length),
    });
    await write(hanging.request, blob.subarray(first.length, first.length + MiB / 2));
    const growing = await pollUntil(async () => {
      for await (const upload of store.listUploads()) if (upload.size > first.length) return true;
      return undefined;
    }, 1_000);
    await restart();
    expect(hanging.status(), 'no answer to a chunk that never finished').toBeUndefined();
    hanging.request.destroy();

    await expectConsistent('after a kill during a chunk: ');
    const status = await http(hub.url, next);
    expect(status.status).toBe(204);
    expect(status.headers.get('range'), `status after the kill (the store ${growing ? 'held' : 'did not yet hold'} part of the chunk)`).toBe(
      `0-${first.length - 1}`,
    );

    const digest = sha256(blob);
    const rest = blob.subarray(first.length);
    const finished = await http(hub.url, withQuery(status.headers.get('location') ?? next, { digest }), {
      method: 'PUT',
      body: rest,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(rest.length) },
    });
    expect(finished.status).toBe(201);
    ledger.blob(repo, digest, blob);
    await pin(repo, 'chunked', descriptorOf(MT.ociLayer, blob));
    await expectConsistent('after resuming the upload: ');
  });

  it(`killed right after manifest PUTs (${MANIFEST_ROUNDS} × ${MANIFESTS_PER_ROUND}): a manifest and its tag are whole, with their blobs, or absent`, async () => {
    const repo = uniqueRepo('crash-manifest');
    const outcomes = { acknowledged: 0, storedUnacknowledged: 0, absent: 0 };
    let putMs = 0;

    for (let round = 0; round < MANIFEST_ROUNDS; round += 1) {
      const moment = KILL_MOMENTS[round % KILL_MOMENTS.length] as (typeof KILL_MOMENTS)[number];
      const pushes = await inParallel(MANIFESTS_PER_ROUND, MANIFESTS_PER_ROUND, async (i) => {
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', round, i, nonce: randomBytes(8).toString('hex') }));
        const layer = randomBlob(1024);
        for (const bytes of [config, layer]) ledger.blob(repo, await pushBlob(hub.url, repo, bytes), bytes);
        const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, config), layers: [descriptorOf(MT.ociLayer, layer)] });
        const tag = i % 2 === 0 ? `round-${round}-${i}` : undefined;
        return { manifest, tag, path: `/v2/${repo}/manifests/${tag ?? manifest.digest}` };
      });
      for (const { manifest } of pushes) attempted.push({ repo, digest: manifest.digest });

      const line = `"method":"PUT","path":"(?:${pushes.map((p) => escapeRegExp(p.path)).join('|')})"[^\\n]*"status":201`;
      const logged = (count: number) =>
        hub.waitForOutput(new RegExp(Array.from({ length: count }, () => line).join('[\\s\\S]*')), { timeoutMs: 10_000 }).catch(() => undefined);
      const log = { first: logged(1), second: logged(2) };
      const puts = pushes.map(({ manifest, path }) =>
        send(hub.url, 'PUT', path, { 'Content-Type': manifest.mediaType, 'Content-Length': String(manifest.bytes.length) }),
      );
      await Promise.all(puts.map((put, i) => new Promise<void>((resolve) => put.request.end(pushes[i]?.manifest.bytes, resolve))));
      await moment.wait({ logged: log, putMs });
      await kill(hub);
      const statuses = puts.map((put) => put.status());
      for (const put of puts) put.request.destroy();
      hub = await spawnHub(environment);

      for (const [i, { manifest, tag }] of pushes.entries()) {
        const acknowledged = statuses[i] === 201;
        const what = `round ${round} (killed ${moment.name}), ${tag ?? manifest.digest} ${acknowledged ? 'acknowledged' : 'not acknowledged'}: `;
        const byDigest = await getManifest(hub.url, repo, manifest.digest);
        const stored = await bodyBytes(byDigest);
        expect([200, 404], `${what}GET by digest`).toContain(byDigest.status);
        if (acknowledged) expect(byDigest.status, `${what}an acknowledged manifest is kept`).toBe(200);
        if (byDigest.status === 200) expect(stored.equals(manifest.bytes), `${what}the manifest is served whole`).toBe(true);
        if (tag) {
          const byTag = await getManifest(hub.url, repo, tag);
          expect(byTag.status, `${what}the tag and its manifest are stored together or not at all`).toBe(byDigest.status);
          if (byTag.status === 200) expect((await bodyBytes(byTag)).equals(manifest.bytes), `${what}by tag`).toBe(true);
        }
        if (acknowledged) outcomes.acknowledged += 1;
        else if (byDigest.status === 200) outcomes.storedUnacknowledged += 1;
        else outcomes.absent += 1;
      }
      await expectConsistent(`round ${round} (killed ${moment.name}): `);

      // Whatever happened, pushing the manifests again works; a tag keeps each from an untagged GC.
      const durations: number[] = [];
      for (const { manifest, tag } of pushes) {
        const started = performance.now();
        await pushManifest(hub.url, repo, tag ?? manifest.digest, manifest);
        durations.push(performance.now() - started);
        if (!tag) await pushManifest(hub.url, repo, `pinned-${manifest.digest.slice(7, 19)}`, manifest);
        ledger.manifest(repo, manifest.digest, manifest.bytes, tag ?? `pinned-${manifest.digest.slice(7, 19)}`);
      }
      putMs = durations.sort((x, y) => x - y)[Math.floor(durations.length / 2)] ?? 0;
    }
    await expectConsistent('after the manifest rounds: ');
    console.info(
      `manifest PUT kills: ${outcomes.acknowledged} acknowledged, ` +
        `${outcomes.storedUnacknowledged} stored but not acknowledged, ${outcomes.absent} not stored`,
    );
  }, 120_000);

  it('killed in the middle of garbage collection: nothing kept is lost, no blob is left half there, and the next run finishes the job', async () => {
    const repo = uniqueRepo('crash-gc');
    const kept = await pushImage(hub.url, repo, 'kept');
    ledger.image(repo, kept, 'kept');

    // Garbage: untagged manifests (one of them sharing the kept image's layer) and lone blobs.
    const garbageBlobs: string[] = [];
    const garbageManifests: string[] = [];
    const share = environment.config.storage.kind === 's3' ? S3_GARBAGE_SHARE : 1;
    await inParallel(Math.round(GARBAGE_MANIFESTS * share), 8, async (i) => {
      const config = Buffer.from(JSON.stringify({ garbage: i, nonce: randomBytes(8).toString('hex') }));
      const layer = randomBlob(512);
      garbageBlobs.push(await pushMonolithic(hub.url, repo, config));
      const layers = [i === 0 ? kept.layer.descriptor : descriptorOf(MT.ociLayer, layer)];
      if (i !== 0) garbageBlobs.push(await pushMonolithic(hub.url, repo, layer));
      const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, config), layers });
      await pushManifest(hub.url, repo, manifest.digest, manifest);
      garbageManifests.push(manifest.digest);
    });
    await inParallel(Math.round(GARBAGE_BLOBS * share), 8, async () => {
      garbageBlobs.push(await pushMonolithic(hub.url, repo, randomBlob(256)));
    });

    // GC deletes candidates in digest order: the lowest digests go first.
    const probes = [...garbageBlobs].sort().slice(0, 24);
    const embedded = environment.config.databaseUrl === undefined;
    const gc = startNocker(environment, ['hub', 'gc', '--grace', '0s', '--delete-untagged']);
    let gcEnded = false;
    void gc.exited.then(() => (gcEnded = true));
    const seen = await pollUntil(
      async () => {
        if (gcEnded) return 'finished';
        for (const digest of probes) if ((await store.stat(digest)) === null) return 'deleting';
        return undefined;
      },
      30_000,
      1,
    );
    // On PGlite the command asks the running Hub to collect: the Hub dies. On PostgreSQL the
    // command collects itself: it dies, and the Hub goes on.
    await kill(embedded ? hub : gc);
    const gcExit = await gc.exited;
    expect(seen, `GC was seen deleting before it ended (gc: ${gc.output().slice(-500)})`).toBe('deleting');
    if (embedded) hub = await spawnHub(environment);

    const what = `after a kill during GC (${embedded ? 'the Hub' : 'the gc process'} killed; gc ${gcExit.signal ?? gcExit.code}): `;
    await expectConsistent(what, garbageManifests.map((digest) => ({ repo, digest })));
    // A blob the Hub says it holds (HEAD 200, as clients ask before pushing) must be readable.
    const halfThere: { digest: string; size: number; get: number }[] = [];
    let removed = 0;
    await inParallel(garbageBlobs.length, 8, async (i) => {
      const digest = garbageBlobs[i] as string;
      const head = await http(hub.url, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
      if (head.status === 404) {
        removed += 1;
        return;
      }
      expect(head.status, `${what}HEAD ${digest}`).toBe(200);
      const get = await http(hub.url, `/v2/${repo}/blobs/${digest}`);
      const bytes = await bodyBytes(get);
      if (get.status !== 200 || sha256(bytes) !== digest) {
        halfThere.push({ digest, size: Number(head.headers.get('content-length')), get: get.status });
      }
    });
    let consequence = '';
    const claimed = halfThere[0];
    if (claimed) {
      // What a client does next: HEAD says the blob is there, so it pushes only its manifest.
      await pushBlob(hub.url, repo, EMPTY_JSON);
      const manifest = artifactManifest({
        artifactType: 'application/vnd.nocker.test.claim',
        layers: [{ mediaType: MT.ociLayer, digest: claimed.digest, size: claimed.size }],
      });
      const put = await putManifest(hub.url, repo, 'claims-half-blob', manifest.bytes, manifest.mediaType);
      consequence = `; a manifest listing ${claimed.digest} is then answered ${put.status}`;
      if (put.status === 201) expect((await http(hub.url, `/v2/${repo}/manifests/${manifest.digest}`, { method: 'DELETE' })).status).toBe(202);
    }
    expect
      .soft(
        halfThere.map((b) => `${b.digest} (HEAD 200, GET ${b.get})`),
        `${what}blobs the Hub claims (HEAD 200) but cannot serve, ${removed} of ${garbageBlobs.length} removed${consequence}`,
      )
      .toEqual([]);

    // A full run afterwards removes all of the garbage, and only the garbage.
    await runNocker(environment, ['hub', 'gc', '--grace', '0s', '--delete-untagged']);
    for (const digest of garbageManifests) {
      expect((await getManifest(hub.url, repo, digest, 'HEAD')).status, `untagged manifest ${digest} after a full GC`).toBe(404);
    }
    await inParallel(garbageBlobs.length, 8, async (i) => {
      const digest = garbageBlobs[i] as string;
      expect((await http(hub.url, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status, `blob ${digest} after a full GC`).toBe(404);
      expect(await store.stat(digest), `bytes of ${digest} after a full GC`).toBeNull();
    });
    await expectConsistent('after a full GC: ');
  }, 120_000);

  it('killed halfway through a monolithic upload: the blob stays unknown, and the same push succeeds after the restart', async () => {
    const repo = uniqueRepo('crash-monolithic');
    const blob = randomBytes(64 * MiB);
    const digest = sha256(blob);
    const uploadsBefore = new Set<string>();
    for await (const upload of store.listUploads()) uploadsBefore.add(upload.id);

    const post = send(hub.url, 'POST', withQuery(`/v2/${repo}/blobs/uploads/`, { digest }), {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(blob.length),
    });
    // 1 MiB at a time, each taken by the socket before the next: the Hub reads as it stores.
    for (let sent = 0; sent < blob.length / 2; sent += MiB) await write(post.request, blob.subarray(sent, sent + MiB));
    const storing = await pollUntil(async () => {
      for await (const upload of store.listUploads()) if (!uploadsBefore.has(upload.id) && upload.size > 0) return upload;
      return undefined;
    }, 10_000);
    expect(storing, 'the Hub stores the body while it streams in').toBeDefined();
    await kill(hub);
    expect(post.status(), 'no answer to a body that never finished').toBeUndefined();
    post.request.destroy();
    hub = await spawnHub(environment);

    await expectConsistent(`after a kill during a monolithic upload (${storing?.size} bytes stored): `);
    expect((await http(hub.url, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status, 'half a blob is no blob').toBe(404);
    const again = await http(hub.url, withQuery(`/v2/${repo}/blobs/uploads/`, { digest }), {
      method: 'POST',
      body: blob,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.length) },
    });
    expect(again.status, await again.clone().text()).toBe(201);
    const fetched = await http(hub.url, `/v2/${repo}/blobs/${digest}`);
    expect(sha256(await bodyBytes(fetched))).toBe(digest);
    // Pinned by a tagged manifest, so that the GC of the last test keeps it; checked there.
    await pin(repo, 'big', descriptorOf(MT.ociLayer, blob));
    big = { repo, digest };
  }, 60_000);

  it('after all the kills, GC clears what they left behind, keeps everything acknowledged, and the Hub takes new pushes', async () => {
    await runNocker(environment, ['hub', 'gc', '--grace', '0s', '--upload-expiry', '0s']);
    const leftovers: string[] = [];
    for await (const upload of store.listUploads()) leftovers.push(`${upload.id} (${upload.size} bytes)`);
    expect(leftovers, 'uploads in storage after GC').toEqual([]);
    // The walk reads every blob a tagged manifest lists: the pinned 64 MiB blob among them.
    await expectConsistent('after the last GC: ');
    expect(big, 'the monolithic upload was pushed and pinned').toBeDefined();
    if (big) expect((await http(hub.url, `/v2/${big.repo}/manifests/big`, { method: 'HEAD' })).status).toBe(200);

    const repo = uniqueRepo('crash-after');
    const after = new Ledger();
    after.image(repo, await pushImage(hub.url, repo, 'after'), 'after');
    await after.verify([hub.url], 'a push after all the kills: ');
  }, 60_000);
});
