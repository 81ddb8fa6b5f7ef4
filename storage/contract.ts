/**
 * The BlobStore contract suite: the behaviour every storage driver must show, as vitest tests.
 *
 * A driver's test file calls `blobStoreContract('name', makeStore)`. Each test gets a fresh, empty
 * store from `makeStore` and calls `cleanup` afterwards. The suite speaks only through the
 * `BlobStore` interface, so it knows nothing about files, buckets or keys.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from './blobstore.ts';
import { BlobNotFoundError, UploadNotFoundError } from './blobstore.ts';

/** What a driver's test file hands the suite: a fresh empty store and how to dispose of it. */
export interface ContractStore {
  store: BlobStore;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Yields the given chunks asynchronously, as a request body would. */
async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

/** A source that delivers some bytes and then fails, as a client disconnecting mid-body does. */
async function* interrupted(part: Uint8Array, error: Error): AsyncGenerator<Uint8Array> {
  yield part;
  throw error;
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function sha512(data: Uint8Array): string {
  return `sha512:${createHash('sha512').update(data).digest('hex')}`;
}

/** Reads a (small) stream whole. */
async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** Hashes a stream as it arrives, so a large blob is never held in memory; returns the digest and size. */
async function hashStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const part of stream as AsyncIterable<Uint8Array>) {
    hash.update(part);
    size += part.byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Comparator for sorting listings, whose order the contract leaves open. */
function byKey<K extends string>(key: K): (a: Record<K, string>, b: Record<K, string>) => number {
  return (a, b) => a[key].localeCompare(b[key]);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Registers the contract tests for one BlobStore driver under `describe(name)`.
 * `makeStore` is called before every test and must return an empty store.
 */
export function blobStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = () => made.cleanup();
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    /** Creates an upload, appends `content` in one go and commits it under its sha256. */
    async function putBlob(content: Uint8Array): Promise<string> {
      const id = randomUUID();
      const digest = sha256(content);
      await store.createUpload(id);
      expect(await store.appendUpload(id, 0, chunks(content))).toBe(content.byteLength);
      await store.commitUpload(id, content.byteLength, digest);
      return digest;
    }

    async function uploadSize(id: string): Promise<number | undefined> {
      const uploads = await collect(store.listUploads());
      return uploads.find((upload) => upload.id === id)?.size;
    }

    it('has a description', () => {
      expect(store.description).toMatch(/\S/);
    });

    it('reports itself ready', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });

    it('appends in several chunks, commits, and reads the same bytes back', async () => {
      const id = randomUUID();
      const parts = [bytes('hello, '), bytes('content-'), bytes('addressed '), bytes('world')];
      const whole = Buffer.concat(parts);
      const digest = sha256(whole);

      await store.createUpload(id);
      let offset = 0;
      // Two appends of two chunks each, every one starting where the previous ended.
      offset = await store.appendUpload(id, offset, chunks(parts[0]!, parts[1]!));
      expect(offset).toBe(parts[0]!.byteLength + parts[1]!.byteLength);
      offset = await store.appendUpload(id, offset, chunks(parts[2]!, parts[3]!));
      expect(offset).toBe(whole.byteLength);

      expect(await store.stat(digest)).toBeNull();
      await store.commitUpload(id, offset, digest);

      const readBack = await readAll(await store.read(digest));
      expect(readBack.equals(whole)).toBe(true);
      expect(sha256(readBack)).toBe(digest);
      expect(await uploadSize(id)).toBeUndefined();
    });

    it('accepts an empty append and an empty blob', async () => {
      const id = randomUUID();
      const empty = new Uint8Array(0);
      await store.createUpload(id);
      expect(await store.appendUpload(id, 0, chunks())).toBe(0);
      expect(await store.appendUpload(id, 0, chunks(empty))).toBe(0);
      const digest = sha256(empty);
      await store.commitUpload(id, 0, digest);

      expect((await store.stat(digest))?.size).toBe(0);
      expect((await readAll(await store.read(digest))).byteLength).toBe(0);
    });

    it('stores sha512 digests', async () => {
      const id = randomUUID();
      const content = bytes('a sha512 blob');
      const digest = sha512(content);
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(content));
      await store.commitUpload(id, content.byteLength, digest);

      expect((await store.stat(digest))?.size).toBe(content.byteLength);
      expect((await readAll(await store.read(digest))).equals(Buffer.from(content))).toBe(true);
    });

    it('reads upload bytes back before commit', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(bytes('0123456789')));

      expect((await readAll(await store.readUpload(id, 10))).toString()).toBe('0123456789');
      expect((await readAll(await store.readUpload(id, 4))).toString()).toBe('0123');
      expect((await readAll(await store.readUpload(id, 0))).byteLength).toBe(0);
    });

    it('commits only the first `size` bytes of an upload', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(bytes('keep-this'), bytes('-not-this')));
      const digest = sha256(bytes('keep-this'));
      await store.commitUpload(id, 9, digest);

      expect((await readAll(await store.read(digest))).toString()).toBe('keep-this');
      expect((await store.stat(digest))?.size).toBe(9);
    });

    it('serves inclusive byte ranges', async () => {
      const content = bytes('0123456789abcdef');
      const digest = await putBlob(content);
      const ranged = async (start: number, end: number) =>
        (await readAll(await store.read(digest, { start, end }))).toString();

      expect(await ranged(0, 0)).toBe('0');
      expect(await ranged(5, 9)).toBe('56789');
      expect(await ranged(15, 15)).toBe('f');
      expect(await ranged(0, 15)).toBe('0123456789abcdef');
    });

    it('reports stat before and after commit', async () => {
      const content = bytes('stat me');
      const digest = sha256(content);
      expect(await store.stat(digest)).toBeNull();

      const before = Date.now();
      await putBlob(content);
      const stat = await store.stat(digest);
      expect(stat).not.toBeNull();
      expect(stat?.size).toBe(content.byteLength);
      expect(stat?.modified).toBeInstanceOf(Date);
      // Generous slack: some backends keep whole-second times, and clocks drift a little.
      expect(stat!.modified.getTime()).toBeGreaterThan(before - 5 * 60_000);
      expect(stat!.modified.getTime()).toBeLessThan(Date.now() + 5 * 60_000);
    });

    it('keeps the stored blob when the same digest is committed again', async () => {
      const original = bytes('the original content');
      const digest = await putBlob(original);

      // A second upload committed under the same digest: the stored blob is kept as is, and the
      // upload goes away. (Different bytes here only to show that nothing was overwritten.)
      const id = randomUUID();
      const other = bytes('other bytes, same size');
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(other));
      await store.commitUpload(id, other.byteLength, digest);

      expect((await readAll(await store.read(digest))).equals(Buffer.from(original))).toBe(true);
      expect((await store.stat(digest))?.size).toBe(original.byteLength);
      expect(await uploadSize(id)).toBeUndefined();
      await expect(store.appendUpload(id, 0, chunks(bytes('x')))).rejects.toBeInstanceOf(UploadNotFoundError);
    });

    it('cuts an interrupted append back to its offset, and the next append at that offset works', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      expect(await store.appendUpload(id, 0, chunks(bytes('hello')))).toBe(5);

      const disconnect = new Error('client went away');
      await expect(store.appendUpload(id, 5, interrupted(bytes(' partial'), disconnect))).rejects.toBe(disconnect);
      expect(await uploadSize(id)).toBe(5);
      expect((await readAll(await store.readUpload(id, 5))).toString()).toBe('hello');

      expect(await store.appendUpload(id, 5, chunks(bytes(', world')))).toBe(12);
      const digest = sha256(bytes('hello, world'));
      await store.commitUpload(id, 12, digest);
      expect((await readAll(await store.read(digest))).toString()).toBe('hello, world');
    });

    it('discards bytes past the offset when appending below the stored size', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(bytes('abcdefgh')));
      // The caller only ever acknowledged 3 bytes; what follows them is not part of the upload.
      expect(await store.appendUpload(id, 3, chunks(bytes('XY')))).toBe(5);
      expect(await uploadSize(id)).toBe(5);
      expect((await readAll(await store.readUpload(id, 5))).toString()).toBe('abcXY');
    });

    it('rejects an append past the stored size', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(bytes('abc')));
      await expect(store.appendUpload(id, 10, chunks(bytes('gap')))).rejects.toThrow();
      expect(await uploadSize(id)).toBe(3);
    });

    it('rejects operations on a missing upload with UploadNotFoundError', async () => {
      const id = randomUUID();
      await expect(store.appendUpload(id, 0, chunks(bytes('x')))).rejects.toBeInstanceOf(UploadNotFoundError);
      await expect(store.readUpload(id, 0)).rejects.toBeInstanceOf(UploadNotFoundError);
      await expect(store.commitUpload(id, 0, sha256(new Uint8Array(0)))).rejects.toBeInstanceOf(UploadNotFoundError);
      const error = await store.appendUpload(id, 0, chunks()).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UploadNotFoundError);
      expect((error as UploadNotFoundError).id).toBe(id);
    });

    it('rejects reading a missing blob with BlobNotFoundError', async () => {
      const digest = sha256(bytes('never stored'));
      await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.read(digest, { start: 0, end: 0 })).rejects.toBeInstanceOf(BlobNotFoundError);
      const error = await store.read(digest).catch((err: unknown) => err);
      expect((error as BlobNotFoundError).digest).toBe(digest);
      expect(await store.stat(digest)).toBeNull();
    });

    it('deletes blobs idempotently', async () => {
      const digest = await putBlob(bytes('delete me'));
      await store.delete(digest);
      expect(await store.stat(digest)).toBeNull();
      await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
      await store.delete(digest);
      await store.delete(sha256(bytes('never stored')));
    });

    it('aborts uploads idempotently', async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(bytes('abandoned')));
      await store.abortUpload(id);

      expect(await uploadSize(id)).toBeUndefined();
      await expect(store.appendUpload(id, 0, chunks(bytes('x')))).rejects.toBeInstanceOf(UploadNotFoundError);
      await store.abortUpload(id);
      await store.abortUpload(randomUUID());
    });

    it('lists committed blobs and uploads in progress', async () => {
      expect(await collect(store.list())).toEqual([]);
      expect(await collect(store.listUploads())).toEqual([]);

      const first = await putBlob(bytes('first blob'));
      const second = await putBlob(bytes('the second blob'));
      const pending = randomUUID();
      const empty = randomUUID();
      await store.createUpload(pending);
      await store.appendUpload(pending, 0, chunks(bytes('pending')));
      await store.createUpload(empty);

      const blobs = await collect(store.list());
      expect(blobs.map(({ digest, size }) => ({ digest, size })).sort(byKey('digest'))).toEqual(
        [
          { digest: first, size: 10 },
          { digest: second, size: 15 },
        ].sort(byKey('digest')),
      );
      for (const blob of blobs) expect(blob.modified).toBeInstanceOf(Date);

      const uploads = await collect(store.listUploads());
      expect(uploads.map(({ id, size }) => ({ id, size })).sort(byKey('id'))).toEqual(
        [
          { id: pending, size: 7 },
          { id: empty, size: 0 },
        ].sort(byKey('id')),
      );
      for (const upload of uploads) expect(upload.modified).toBeInstanceOf(Date);

      await store.delete(first);
      await store.abortUpload(pending);
      expect((await collect(store.list())).map((blob) => blob.digest)).toEqual([second]);
      expect((await collect(store.listUploads())).map((upload) => upload.id)).toEqual([empty]);
    });

    it('cleans up no blob and no upload, however old', async () => {
      const digest = await putBlob(bytes('kept through cleanup'));
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(bytes('in progress')));

      // A cutoff in the future makes everything "old": only backend leftovers may go.
      expect(await store.cleanup(new Date(Date.now() + 60_000))).toEqual([]);
      expect((await readAll(await store.read(digest))).toString()).toBe('kept through cleanup');
      expect(await uploadSize(id)).toBe(11);
    });

    it('gives a redirect URL that serves the blob, or none', async () => {
      const content = bytes('redirect me');
      const digest = await putBlob(content);
      const url = await store.redirectUrl(digest);
      if (url === undefined) return;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(content))).toBe(true);
    });

    it(
      'round-trips a 64 MiB blob streamed in 1 MiB chunks',
      async () => {
        const id = randomUUID();
        const total = 64;
        const hash = createHash('sha256');
        // Random chunks, hashed as they are produced: the blob exists whole only in the store.
        async function* generate(from: number, to: number): AsyncGenerator<Uint8Array> {
          for (let i = from; i < to; i++) {
            const chunk = randomBytes(MiB);
            hash.update(chunk);
            yield chunk;
          }
        }

        await store.createUpload(id);
        // Two appends, as a chunked upload does, to cover a large append at a non-zero offset.
        const half = await store.appendUpload(id, 0, generate(0, total / 2));
        expect(half).toBe((total / 2) * MiB);
        const size = await store.appendUpload(id, half, generate(total / 2, total));
        expect(size).toBe(total * MiB);
        const digest = `sha256:${hash.digest('hex')}`;

        // Rebuilding the hash from the upload, as the Hub does after a restart.
        expect(await hashStream(await store.readUpload(id, size))).toEqual({ digest, size });

        await store.commitUpload(id, size, digest);
        expect((await store.stat(digest))?.size).toBe(size);
        expect(await hashStream(await store.read(digest))).toEqual({ digest, size });

        const tail = await readAll(await store.read(digest, { start: size - MiB, end: size - 1 }));
        expect(tail.byteLength).toBe(MiB);
      },
      180_000,
    );

    describe('rejects malformed digests', () => {
      const valid = sha256(bytes('x'));
      const invalid = [
        '',
        'sha256',
        'sha256:',
        'sha256:abc',
        `sha256:${'a'.repeat(63)}`,
        `sha256:${'a'.repeat(65)}`,
        `sha256:${'A'.repeat(64)}`,
        `sha256:${'g'.repeat(64)}`,
        `sha512:${'a'.repeat(64)}`,
        `md5:${'a'.repeat(32)}`,
        `SHA256:${'a'.repeat(64)}`,
        `${valid}\n`,
        ` ${valid}`,
        `sha256:../${'a'.repeat(61)}`,
        `../sha256:${'a'.repeat(64)}`,
        'sha256:../../../../etc/passwd',
        `sha256/${'a'.repeat(64)}`,
      ];

      it.each(invalid)('%j', async (digest) => {
        await expect(store.stat(digest)).rejects.toThrow();
        await expect(store.read(digest)).rejects.toThrow();
        await expect(store.delete(digest)).rejects.toThrow();
        await expect(store.redirectUrl(digest)).rejects.toThrow();

        const id = randomUUID();
        await store.createUpload(id);
        await store.appendUpload(id, 0, chunks(bytes('x')));
        await expect(store.commitUpload(id, 1, digest)).rejects.toThrow();
        // The upload survives a refused commit and can still be committed properly.
        expect(await uploadSize(id)).toBe(1);
        await store.commitUpload(id, 1, valid);
        expect(await store.stat(valid)).not.toBeNull();
        expect(await collect(store.list())).toHaveLength(1);
      });
    });

    describe('rejects malformed upload ids', () => {
      const invalid = ['', '.', '..', '../escape', 'a/b', 'a\\b', 'a.b', 'a b', 'a\0b', 'é', 'x'.repeat(129)];

      it.each(invalid)('%j', async (id) => {
        await expect(store.createUpload(id)).rejects.toThrow();
        await expect(store.appendUpload(id, 0, chunks(bytes('x')))).rejects.toThrow();
        await expect(store.readUpload(id, 0)).rejects.toThrow();
        await expect(store.commitUpload(id, 0, sha256(new Uint8Array(0)))).rejects.toThrow();
        await expect(store.abortUpload(id)).rejects.toThrow();
        expect(await collect(store.listUploads())).toEqual([]);
      });

      it('accepts the longest and the odd-but-legal ones', async () => {
        for (const id of ['x'.repeat(128), 'A_b-9', '-', '_']) {
          await store.createUpload(id);
          expect(await store.appendUpload(id, 0, chunks(bytes('ok')))).toBe(2);
          await store.abortUpload(id);
        }
      });
    });
  });
}
