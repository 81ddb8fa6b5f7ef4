/**
 * Blob upload sessions: started, fed in chunks or in one stream, finished with a digest that is
 * checked against the bytes, or cancelled. The session row in the database is the truth about
 * how many bytes were received, so an upload survives a restart of the Hub.
 *
 * Bytes are hashed while they are written. The running sha256 lives in memory; after a restart
 * (or on another replica) it is rebuilt once by reading back what storage holds.
 *
 * A whole blob sent in one request (`POST ?digest=`) skips the session row: there is nothing
 * to resume, and a crash leaves only bytes that no session owns, which GC removes.
 */
import { randomUUID, type Hash, createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { BlobStore } from '../../storage/blobstore.ts';
import type { Database, Transaction } from '../db/open.ts';
import { blobs, repositories, repositoryBlobs, uploads } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { parseDigest, type Digest, type DigestAlgorithm } from '../oci/digest.ts';
import type { BlobInfo } from './blobs.ts';
import { ensureRepositoryId } from './repositories.ts';

export interface UploadState {
  id: string;
  /** Bytes received so far. */
  size: number;
}

/** A session as stored: its state and the repository it belongs to. */
interface Session extends UploadState {
  repositoryId: number;
}

/** Where a chunk must go, from a PATCH's `Content-Range: start-end`. */
export interface ChunkRange {
  start: number;
  end: number;
}

/** At most this many running hashes are kept; an evicted one is rebuilt from storage. */
const MAX_CACHED_HASHES = 10_000;

export class UploadService {
  /** Running sha256 per upload id, valid for exactly the `size` bytes recorded with it. */
  private readonly hashes = new Map<string, { hash: Hash; size: number }>();
  /** Serialises operations on one upload within this process. */
  private readonly locks = new Map<string, Promise<unknown>>();

  /** Prepared once: every PATCH and PUT reads the session first. */
  private readonly session;

  constructor(
    private readonly db: Database,
    private readonly store: BlobStore,
  ) {
    this.session = db
      .select({ size: uploads.size, repositoryId: uploads.repositoryId })
      .from(uploads)
      .innerJoin(repositories, eq(repositories.id, uploads.repositoryId))
      .where(and(eq(uploads.id, sql.placeholder('id')), eq(repositories.name, sql.placeholder('name'))))
      .prepare('upload_session');
  }

  /** Opens an empty upload session in repository `name`. */
  async start(name: string): Promise<UploadState> {
    const id = randomUUID();
    // Storage first: a crash before the row exists leaves only an orphan that GC removes.
    await this.store.createUpload(id);
    // The repository and the session in one statement (one round trip).
    await this.db.execute(sql`
      with repository as (
        insert into ${repositories} (name) values (${name})
        on conflict (name) do update set name = excluded.name returning id)
      insert into ${uploads} (id, repository_id) select ${id}, id from repository`);
    this.hashes.set(id, { hash: createHash('sha256'), size: 0 });
    return { id, size: 0 };
  }

  /**
   * Stores a whole blob sent in one request, checked against `digest`, and links it into
   * repository `name`. On a mismatch nothing is kept (DIGEST_INVALID).
   */
  async putWhole(name: string, digest: string, body: AsyncIterable<Uint8Array> | undefined): Promise<BlobInfo> {
    const expected = parseDigest(digest);
    const id = randomUUID();
    await this.store.createUpload(id);
    try {
      const hash = createHash(expected.algorithm);
      const size = body ? await this.appendBytes(id, 0, body, hash) : 0;
      verifyDigest(expected, hash.digest('hex'), size);
      await this.db.transaction(async (tx) => {
        await this.commitBlob(tx, id, await ensureRepositoryId(tx, name), digest, size);
      });
      return { digest, size };
    } catch (err) {
      await this.store.abortUpload(id).catch(() => undefined);
      throw err;
    }
  }

  /** The session's progress; BLOB_UPLOAD_UNKNOWN when it does not exist in `name`. */
  async status(name: string, id: string): Promise<UploadState> {
    const { size } = await this.readSession(name, id);
    return { id, size };
  }

  private async readSession(name: string, id: string): Promise<Session> {
    const [row] = await this.session.execute({ id, name });
    if (!row) throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is not in progress in repository ${name}`);
    return { id, ...row };
  }

  /**
   * Appends a chunk, checked against its `range` when it has one (see writeChunk); without one
   * it is appended.
   */
  append(name: string, id: string, body: AsyncIterable<Uint8Array>, range?: ChunkRange): Promise<UploadState> {
    return this.exclusive(id, async () => {
      const state = await this.status(name, id);
      return { id, size: await this.writeChunk(name, state, body, range) };
    });
  }

  /**
   * Completes an upload with the closing PUT: appends `body` if there is one (checked against
   * its `range` like any chunk), checks that the bytes hash to `digest`, and makes the blob
   * visible in the repository. On a mismatch the session is discarded with its bytes
   * (DIGEST_INVALID).
   */
  finish(name: string, id: string, digest: string, body?: AsyncIterable<Uint8Array>, range?: ChunkRange): Promise<BlobInfo> {
    const expected = parseDigest(digest);
    return this.exclusive(id, async () => {
      const session = await this.readSession(name, id);
      // The last chunk is not recorded in the session: the session ends here either way.
      const size = body ? await this.writeChunk(name, session, body, range, { record: false }) : session.size;
      const state = { id, size };
      const actual = expected.algorithm === 'sha256' ? (await this.hashFor(state)).copy().digest('hex') : await this.rehash(state, 'sha512');
      try {
        verifyDigest(expected, actual, size);
      } catch (err) {
        await this.discard(id);
        throw err;
      }
      await this.db.transaction(async (tx) => {
        const ended = await tx.delete(uploads).where(eq(uploads.id, id)).returning({ id: uploads.id });
        if (ended.length === 0) throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${id} ended while it was being completed`);
        await this.commitBlob(tx, id, session.repositoryId, digest, size);
      });
      this.hashes.delete(id);
      return { digest, size };
    });
  }

  /**
   * Makes verified upload bytes the blob `digest`, visible in one repository. The blob row is
   * written (and locked) before the bytes move into place, so GC, which deletes the row before
   * the bytes, can never remove bytes that a new row points at.
   */
  private async commitBlob(tx: Transaction, id: string, repositoryId: number, digest: string, size: number): Promise<void> {
    await tx
      .insert(blobs)
      .values({ digest, size })
      // A blob GC has marked for deletion is taken back: the bytes below are written again
      // unless they are still there.
      .onConflictDoUpdate({ target: blobs.digest, set: { lastUsedAt: sql`now()`, deleting: false } });
    await this.store.commitUpload(id, size, digest);
    await tx.insert(repositoryBlobs).values({ repositoryId, digest }).onConflictDoNothing();
  }

  /** Cancels an upload and drops its bytes. */
  cancel(name: string, id: string): Promise<void> {
    return this.exclusive(id, async () => {
      await this.status(name, id);
      await this.discard(id);
    });
  }

  /**
   * Writes a chunk. With a `range` it must start exactly where the upload ends (416
   * RANGE_INVALID otherwise, with the current Range) and be as long as it says.
   */
  private async writeChunk(
    name: string,
    state: UploadState,
    body: AsyncIterable<Uint8Array>,
    range?: ChunkRange,
    options: { record: boolean } = { record: true },
  ): Promise<number> {
    if (range && range.start !== state.size) {
      throw new OciError(
        'RANGE_INVALID',
        `chunk starts at byte ${range.start} but the upload holds ${state.size} bytes; send the chunk that starts at ${state.size}`,
        { status: 416, headers: uploadHeaders(name, state) },
      );
    }
    const size = await this.write(state, body, options.record);
    if (range && size - state.size !== range.end - range.start + 1) {
      await this.rollBack(state);
      throw new OciError(
        'BLOB_UPLOAD_INVALID',
        `Content-Range ${range.start}-${range.end} announced ${range.end - range.start + 1} bytes but ${size - state.size} arrived`,
        { status: 416, headers: uploadHeaders(name, state) },
      );
    }
    return size;
  }

  /**
   * Writes `body` after the recorded bytes, hashing it on the way, and records the new size in
   * the session unless told not to; returns the new size.
   */
  private async write(state: UploadState, body: AsyncIterable<Uint8Array>, record: boolean): Promise<number> {
    const running = await this.hashFor(state);
    // The hash is only trusted again once the write and the row update both succeeded.
    this.hashes.delete(state.id);
    const size = await this.appendBytes(state.id, state.size, body, running);
    if (record) await this.db.update(uploads).set({ size, updatedAt: sql`now()` }).where(eq(uploads.id, state.id));
    this.remember(state.id, running, size);
    return size;
  }

  /** Appends `body` to the stored upload, feeding `hash`; returns the new size. */
  private async appendBytes(id: string, offset: number, body: AsyncIterable<Uint8Array>, hash: Hash): Promise<number> {
    try {
      return await this.store.appendUpload(id, offset, hashing(body, hash));
    } catch (err) {
      throw new OciError('BLOB_UPLOAD_INVALID', `the upload body could not be read to the end: ${(err as Error).message}`, {
        detail: { received: offset },
      });
    }
  }

  /** Undoes a write whose length did not match what the client announced. */
  private async rollBack(previous: UploadState): Promise<void> {
    this.hashes.delete(previous.id);
    await this.db.update(uploads).set({ size: previous.size }).where(eq(uploads.id, previous.id));
  }

  private async discard(id: string): Promise<void> {
    this.hashes.delete(id);
    await this.db.delete(uploads).where(eq(uploads.id, id));
    await this.store.abortUpload(id);
  }

  /** The running sha256 of the upload's first `state.size` bytes. */
  private async hashFor(state: UploadState): Promise<Hash> {
    const cached = this.hashes.get(state.id);
    if (cached && cached.size === state.size) return cached.hash;
    const hash = await this.hashStored(state, 'sha256');
    this.remember(state.id, hash, state.size);
    return hash;
  }

  /** Hashes what storage holds with another algorithm (sha512 uploads are rare). */
  private async rehash(state: UploadState, algorithm: 'sha512'): Promise<string> {
    return (await this.hashStored(state, algorithm)).digest('hex');
  }

  /** Hashes the first `state.size` bytes storage holds for the upload. */
  private async hashStored(state: UploadState, algorithm: DigestAlgorithm): Promise<Hash> {
    const hash = createHash(algorithm);
    for await (const chunk of await this.store.readUpload(state.id, state.size)) hash.update(chunk as Uint8Array);
    return hash;
  }

  private remember(id: string, hash: Hash, size: number): void {
    this.hashes.delete(id);
    this.hashes.set(id, { hash, size });
    if (this.hashes.size > MAX_CACHED_HASHES) {
      const oldest = this.hashes.keys().next().value;
      if (oldest !== undefined) this.hashes.delete(oldest);
    }
  }

  private async exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.locks.set(id, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === run) this.locks.delete(id);
    }
  }
}

/** Throws DIGEST_INVALID unless the bytes hashed to the digest the client named. */
function verifyDigest(expected: Digest, actualHex: string, size: number): void {
  if (actualHex === expected.encoded) return;
  const actual = `${expected.algorithm}:${actualHex}`;
  throw new OciError('DIGEST_INVALID', `the ${size} bytes uploaded hash to ${actual}, not ${expected.value}; the upload was discarded`, {
    detail: { expected: expected.value, actual },
  });
}

/** Passes chunks through while feeding them to `hash`. */
async function* hashing(source: AsyncIterable<Uint8Array>, hash: Hash): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/** `Location`, `Range` and `Docker-Upload-UUID` of an upload in progress. */
export function uploadHeaders(name: string, state: UploadState): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${state.id}`,
    Range: `0-${Math.max(state.size - 1, 0)}`,
    'Docker-Upload-UUID': state.id,
  };
}
