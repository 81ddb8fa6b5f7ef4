/**
 * S3BlobStore: the shared contract, plus what only the S3 driver can show — its key layout, chunks
 * of any size against S3's 5 MiB part minimum, an upload continued by another replica, bounded
 * memory, recovery from a crash mid-append, cleanup of abandoned multipart uploads, and redirects
 * through a real Hub.
 *
 * Runs only when `NOCKER_TEST_S3_ENDPOINT` names an S3-compatible server, e.g. moto:
 *   moto_server -H 127.0.0.1 -p 5077 &
 *   NOCKER_TEST_S3_ENDPOINT=http://127.0.0.1:5077 npx vitest run storage
 * Every test gets a bucket of its own, removed with its contents afterwards.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  AbortMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnvironment, startTestHub, type TestHub } from '../conformance/harness.ts';
import { withCredentials } from '../conformance/helpers.ts';
import { blobStoreContract } from './contract.ts';
import { PART_SIZE, S3BlobStore, type S3StoreOptions } from './s3.ts';

const endpoint = process.env.NOCKER_TEST_S3_ENDPOINT || undefined;
if (endpoint) {
  // moto and most local S3 servers accept any credentials; real ones come from the environment.
  process.env.AWS_ACCESS_KEY_ID ||= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ||= 'test';
}

const MiB = 1024 * 1024;
const KiB = 1024;
const REGION = 'us-east-1';

/** A client for setting up and inspecting buckets, outside the store under test. */
function adminClient(): S3Client {
  return new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function createBucket(admin: S3Client): Promise<string> {
  const bucket = `nocker-test-${randomUUID()}`.slice(0, 63);
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function allKeys(admin: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

async function multipartUploads(admin: S3Client, bucket: string): Promise<{ key: string; id: string }[]> {
  const page = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (page.Uploads ?? []).map((upload) => ({ key: upload.Key ?? '', id: upload.UploadId ?? '' }));
}

/** Empties the bucket (objects and multipart uploads) and deletes it. */
async function dropBucket(admin: S3Client, bucket: string): Promise<void> {
  for (const upload of await multipartUploads(admin, bucket)) {
    await admin.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.id }));
  }
  for (const key of await allKeys(admin, bucket)) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
}

function storeOptions(bucket: string, overrides: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return { bucket, endpoint, region: REGION, prefix: '', forcePathStyle: true, redirect: false, ...overrides };
}

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** `gc()`, made available at run time: live memory is only measurable right after a collection. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('cannot expose gc()');
  return gc as () => void;
}

async function uploadSize(store: S3BlobStore, id: string): Promise<number | undefined> {
  return (await collect(store.listUploads())).find((upload) => upload.id === id)?.size;
}

describe.skipIf(!endpoint)('S3BlobStore', () => {
  const admin = adminClient();
  afterAll(() => admin.destroy());

  // With a prefix, so that the contract also shows nothing depends on keys at the bucket root.
  blobStoreContract('s3', async () => {
    const bucket = await createBucket(admin);
    return {
      store: new S3BlobStore(storeOptions(bucket, { prefix: 'registry/v1' })),
      cleanup: () => dropBucket(admin, bucket),
    };
  });

  describe('driver', () => {
    let bucket: string;
    let store: S3BlobStore;

    beforeEach(async () => {
      bucket = await createBucket(admin);
      store = new S3BlobStore(storeOptions(bucket));
    });

    afterEach(async () => {
      await store.close();
      await dropBucket(admin, bucket);
    });

    it('describes itself by endpoint, bucket and prefix', () => {
      expect(store.description).toBe(`s3:${endpoint}/${bucket}`);
      expect(new S3BlobStore(storeOptions(bucket, { prefix: '/a/b/' })).description).toBe(`s3:${endpoint}/${bucket}/a/b`);
      expect(new S3BlobStore(storeOptions(bucket, { endpoint: undefined })).description).toBe(`s3:aws/${bucket}`);
    });

    it('keeps blobs and uploads in the documented layout, under the prefix only', async () => {
      const prefixed = new S3BlobStore(storeOptions(bucket, { prefix: 'p/q' }));
      try {
        const id = randomUUID();
        const content = randomBytes(PART_SIZE + 10);
        await prefixed.createUpload(id);
        expect(await allKeys(admin, bucket)).toEqual([`p/q/uploads/${id}/started`]);
        await prefixed.appendUpload(id, 0, chunks(content));
        expect(await allKeys(admin, bucket)).toEqual(
          [`p/q/uploads/${id}/part-000000`, `p/q/uploads/${id}/started`, `p/q/uploads/${id}/tail`].sort(),
        );

        const digest = sha256(content);
        const hex = digest.slice('sha256:'.length);
        await prefixed.commitUpload(id, content.byteLength, digest);
        expect(await allKeys(admin, bucket)).toEqual([`p/q/blobs/sha256/${hex.slice(0, 2)}/${hex}`]);
        expect(await multipartUploads(admin, bucket)).toEqual([]);
        // The store without a prefix sees none of it.
        expect(await collect(store.list())).toEqual([]);
      } finally {
        await prefixed.close();
      }
    });

    it('lists only well-formed blob and upload keys', async () => {
      const content = Buffer.from('real');
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(content));
      await store.commitUpload(id, 4, sha256(content));
      const hex = 'b'.repeat(64);
      for (const key of [
        'blobs/README',
        `blobs/md5/bb/${'b'.repeat(32)}`,
        `blobs/sha256/cc/${hex}`,
        `blobs/sha256/bb/${hex}/extra`,
        `blobs/sha256/bb/${hex}.partial`,
        'uploads/not.an.id/started',
      ]) {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'junk' }));
      }
      expect((await collect(store.list())).map((blob) => blob.digest)).toEqual([sha256(content)]);
      expect(await collect(store.listUploads())).toEqual([]);
    });

    it('takes chunks of any size, in separate appends or in one, and commits the right blob', async () => {
      const sizes = [1, 100 * KiB, 5 * MiB - 1, 5 * MiB + 1, 17 * MiB];
      const pieces = sizes.map((size) => randomBytes(size));
      const whole = Buffer.concat(pieces);
      const digest = sha256(whole);

      // One append per chunk, as PATCH requests of these sizes would make.
      const id = randomUUID();
      await store.createUpload(id);
      let offset = 0;
      for (const piece of pieces) {
        offset = await store.appendUpload(id, offset, chunks(piece));
        expect(await uploadSize(store, id)).toBe(offset);
      }
      expect(offset).toBe(whole.byteLength);
      expect(sha256(await readAll(await store.readUpload(id, offset)))).toBe(digest);
      await store.commitUpload(id, offset, digest);
      const stored = await readAll(await store.read(digest));
      expect(stored.byteLength).toBe(whole.byteLength);
      expect(sha256(stored)).toBe(digest);

      // The same chunks within one append.
      await store.delete(digest);
      const single = randomUUID();
      await store.createUpload(single);
      expect(await store.appendUpload(single, 0, chunks(...pieces))).toBe(whole.byteLength);
      await store.commitUpload(single, whole.byteLength, digest);
      expect(sha256(await readAll(await store.read(digest)))).toBe(digest);
      expect(await multipartUploads(admin, bucket)).toEqual([]);
    }, 120_000);

    it('commits blobs of exactly one part, one byte more, and one byte less', async () => {
      for (const size of [PART_SIZE - 1, PART_SIZE, PART_SIZE + 1, 2 * PART_SIZE]) {
        const content = randomBytes(size);
        const id = randomUUID();
        await store.createUpload(id);
        await store.appendUpload(id, 0, chunks(content));
        await store.commitUpload(id, size, sha256(content));
        expect((await store.stat(sha256(content)))?.size).toBe(size);
        expect((await readAll(await store.read(sha256(content)))).equals(content)).toBe(true);
      }
    }, 120_000);

    it('continues an upload on a second replica, which rebuilds the hash and commits', async () => {
      const first = randomBytes(9 * MiB);
      const second = randomBytes(3 * MiB + 7);
      const id = randomUUID();
      await store.createUpload(id);
      const offset = await store.appendUpload(id, 0, chunks(first));
      await store.close();

      // Another process with nothing but the bucket: it knows the upload only by id and offset.
      const replica = new S3BlobStore(storeOptions(bucket));
      try {
        expect(sha256(await readAll(await replica.readUpload(id, offset)))).toBe(sha256(first));
        const size = await replica.appendUpload(id, offset, chunks(second));
        const whole = Buffer.concat([first, second]);
        expect(size).toBe(whole.byteLength);
        await replica.commitUpload(id, size, sha256(whole));
      } finally {
        await replica.close();
      }
      store = new S3BlobStore(storeOptions(bucket));
      const whole = Buffer.concat([first, second]);
      expect(sha256(await readAll(await store.read(sha256(whole))))).toBe(sha256(whole));
      expect(await collect(store.listUploads())).toEqual([]);
    }, 60_000);

    it('cuts the remains of an append that crashed past its offset, inside a part and inside the tail', async () => {
      const acknowledged = randomBytes(PART_SIZE + MiB);
      const id = randomUUID();
      await store.createUpload(id);
      expect(await store.appendUpload(id, 0, chunks(acknowledged))).toBe(acknowledged.byteLength);

      // What a crash after writing two more parts, before the new tail, leaves behind.
      const part1 = Buffer.concat([acknowledged.subarray(PART_SIZE), randomBytes(PART_SIZE - MiB)]);
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `uploads/${id}/part-000001`, Body: part1 }));
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `uploads/${id}/part-000002`, Body: randomBytes(PART_SIZE) }));
      expect(await uploadSize(store, id)).toBeGreaterThan(acknowledged.byteLength);
      // The acknowledged bytes are intact meanwhile.
      expect((await readAll(await store.readUpload(id, acknowledged.byteLength))).equals(acknowledged)).toBe(true);

      const more = randomBytes(2 * MiB);
      expect(await store.appendUpload(id, acknowledged.byteLength, chunks(more))).toBe(acknowledged.byteLength + more.byteLength);
      const expected = Buffer.concat([acknowledged, more]);
      expect(await uploadSize(store, id)).toBe(expected.byteLength);
      expect((await readAll(await store.readUpload(id, expected.byteLength))).equals(expected)).toBe(true);

      // Back into the first part: its start becomes the tail.
      const cut = 3 * MiB + 5;
      expect(await store.appendUpload(id, cut, chunks(Buffer.from('!')))).toBe(cut + 1);
      const final = Buffer.concat([expected.subarray(0, cut), Buffer.from('!')]);
      expect(await uploadSize(store, id)).toBe(final.byteLength);
      expect(await allKeys(admin, bucket)).toEqual([`uploads/${id}/started`, `uploads/${id}/tail`]);
      await store.commitUpload(id, final.byteLength, sha256(final));
      expect((await readAll(await store.read(sha256(final)))).equals(final)).toBe(true);
    }, 60_000);

    it('cuts back to the offset when the source fails after filling parts', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      const start = randomBytes(MiB);
      await store.appendUpload(id, 0, chunks(start));
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield randomBytes(2 * PART_SIZE + 3);
        throw new Error('client went away');
      }
      await expect(store.appendUpload(id, MiB, failing())).rejects.toThrow('client went away');
      expect(await uploadSize(store, id)).toBe(MiB);
      expect(await allKeys(admin, bucket)).toEqual([`uploads/${id}/started`, `uploads/${id}/tail`]);
      expect((await readAll(await store.readUpload(id, MiB))).equals(start)).toBe(true);
    }, 60_000);

    it('streams a 64 MiB upload with bounded memory', async () => {
      const id = randomUUID();
      const hash = createHash('sha256');
      const collectGarbage = exposeGc();
      collectGarbage();
      const before = process.memoryUsage();
      let peakRss = before.rss;
      let peakLive = before.arrayBuffers;
      async function* generate(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 64; i++) {
          const chunk = randomBytes(MiB);
          hash.update(chunk);
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          if (i % 4 === 3) {
            // Buffer memory still reachable: what the store holds on to, without the garbage.
            collectGarbage();
            peakLive = Math.max(peakLive, process.memoryUsage().arrayBuffers);
          }
          yield chunk;
        }
      }
      await store.createUpload(id);
      const size = await store.appendUpload(id, 0, generate());
      expect(size).toBe(64 * MiB);
      const digest = `sha256:${hash.digest('hex')}`;
      await store.commitUpload(id, size, digest);
      expect((await store.stat(digest))?.size).toBe(size);

      const rssGrowth = (peakRss - before.rss) / MiB;
      const liveGrowth = (peakLive - before.arrayBuffers) / MiB;
      console.log(`64 MiB upload: rss +${rssGrowth.toFixed(1)} MiB, live buffers +${liveGrowth.toFixed(1)} MiB`);
      expect(rssGrowth).toBeLessThan(100);
      // One part buffer (PART_SIZE) and a chunk or two in flight; a store that kept the stream
      // would be past 60 MiB here.
      expect(liveGrowth).toBeLessThan(PART_SIZE / MiB + 16);
    }, 120_000);

    it('commits a blob of more parts than one multipart upload takes, through scratch groups', async () => {
      // S3's limits shrunk: at most 3 parts per multipart upload, 2 parts' worth per part copy.
      class SmallLimits extends S3BlobStore {
        protected override readonly limits = { maxParts: 3, maxCopySourceBytes: 2 * PART_SIZE };
      }
      const small = new SmallLimits(storeOptions(bucket));
      try {
        const content = randomBytes(4 * PART_SIZE + MiB);
        const id = randomUUID();
        await small.createUpload(id);
        await small.appendUpload(id, 0, chunks(content));
        await small.commitUpload(id, content.byteLength, sha256(content));
        expect((await readAll(await small.read(sha256(content)))).equals(content)).toBe(true);
        const hex = sha256(content).slice('sha256:'.length);
        expect(await allKeys(admin, bucket)).toEqual([`blobs/sha256/${hex.slice(0, 2)}/${hex}`]);
        expect(await multipartUploads(admin, bucket)).toEqual([]);
      } finally {
        await small.close();
      }
    }, 120_000);

    it('cleanup aborts multipart uploads abandoned under its prefix, once old enough', async () => {
      const prefixed = new S3BlobStore(storeOptions(bucket, { prefix: 'hub' }));
      try {
        const key = `hub/blobs/sha256/aa/${'a'.repeat(64)}`;
        // What a crash in the middle of a commit leaves: a multipart upload with a part in it.
        const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        await admin.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(KiB) }));
        // Someone else's, outside the prefix.
        const { UploadId: foreign } = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'other/file' }));

        // Relative to the time the server recorded (moto records a fixed date in 2010).
        const listed = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'hub/' }));
        const initiated = listed.Uploads?.[0]?.Initiated ?? new Date();
        expect(await prefixed.cleanup(new Date(initiated.getTime() - 1000))).toEqual([]);
        expect(await multipartUploads(admin, bucket)).toHaveLength(2);

        expect(await prefixed.cleanup(new Date(Date.now() + 60_000))).toEqual([`multipart upload ${key} ${UploadId}`]);
        expect(await multipartUploads(admin, bucket)).toEqual([{ key: 'other/file', id: foreign }]);
        expect(await prefixed.cleanup(new Date(Date.now() + 60_000))).toEqual([]);
      } finally {
        await prefixed.close();
      }
    });

    it('hands out presigned URLs only when redirects are on', async () => {
      const content = Buffer.from('fetch me from S3');
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(content));
      await store.commitUpload(id, content.byteLength, sha256(content));
      expect(await store.redirectUrl(sha256(content))).toBeUndefined();

      const redirecting = new S3BlobStore(storeOptions(bucket, { redirect: true }));
      try {
        const url = await redirecting.redirectUrl(sha256(content));
        expect(url).toMatch(/X-Amz-Expires=900/);
        const res = await fetch(url!);
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
        await expect(redirecting.redirectUrl('sha256:../etc')).rejects.toThrow(/invalid digest/);
      } finally {
        await redirecting.close();
      }
    });

    it('check names the bucket and endpoint when the bucket is missing', async () => {
      const missing = new S3BlobStore(storeOptions('nocker-no-such-bucket'));
      try {
        await expect(missing.check()).rejects.toThrow(
          `S3 bucket "nocker-no-such-bucket" at ${endpoint} is not usable: the bucket does not exist`,
        );
      } finally {
        await missing.close();
      }
      await expect(store.check()).resolves.toBeUndefined();
    });
  });

  describe('Hub with redirects', () => {
    let hub: TestHub | undefined;
    let bucket: string;
    const fetchAsAdmin = (url: string | URL, init: RequestInit & { headers?: Record<string, string> } = {}) =>
      fetch(url, { ...init, headers: withCredentials(init.headers) });

    beforeAll(async () => {
      // The harness gives the Hub a bucket of its own on NOCKER_TEST_S3_ENDPOINT; redirects on.
      const environment = await createTestEnvironment();
      const storage = environment.config.storage;
      if (storage.kind !== 's3') throw new Error('the test environment did not configure S3');
      bucket = storage.bucket;
      hub = await startTestHub({ environment, config: { storage: { ...storage, redirect: true } } });
    });

    afterAll(async () => {
      await hub?.destroy();
    });

    it('answers a blob GET with 307 to S3, and HEAD and ranged GETs itself', async () => {
      const base = hub?.url ?? '';
      const content = randomBytes(3 * KiB);
      const digest = sha256(content);
      const start = await fetchAsAdmin(`${base}/v2/redirect/test/blobs/uploads/`, { method: 'POST' });
      expect(start.status).toBe(202);
      const location = new URL(start.headers.get('location') ?? '', base);
      location.searchParams.set('digest', digest);
      const put = await fetchAsAdmin(location, { method: 'PUT', body: content, headers: { 'content-type': 'application/octet-stream' } });
      expect(put.status, await put.clone().text()).toBe(201);

      const blobUrl = `${base}/v2/redirect/test/blobs/${digest}`;
      const get = await fetchAsAdmin(blobUrl, { redirect: 'manual' });
      expect(get.status).toBe(307);
      expect(get.headers.get('docker-content-digest')).toBe(digest);
      const target = get.headers.get('location') ?? '';
      expect(target.startsWith(`${endpoint}/${bucket}/blobs/sha256/`)).toBe(true);

      // Followed, as clients do: the bytes come from S3.
      const followed = await fetchAsAdmin(blobUrl);
      expect(followed.status).toBe(200);
      expect(followed.url).toBe(target);
      expect(sha256(Buffer.from(await followed.arrayBuffer()))).toBe(digest);

      const head = await fetchAsAdmin(blobUrl, { method: 'HEAD', redirect: 'manual' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(content.byteLength));

      const ranged = await fetchAsAdmin(blobUrl, { headers: { range: 'bytes=10-19' }, redirect: 'manual' });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(content.subarray(10, 20))).toBe(true);

      // A blob the repository does not have is still the Hub's answer, not a redirect.
      const unknown = await fetchAsAdmin(`${base}/v2/redirect/test/blobs/${sha256(Buffer.from('nope'))}`, { redirect: 'manual' });
      expect(unknown.status).toBe(404);
    });
  });
});
