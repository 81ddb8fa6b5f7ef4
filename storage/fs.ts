/**
 * The filesystem BlobStore: blobs and uploads as plain files under one root directory.
 *
 * Layout under the root:
 * - `blobs/<algorithm>/<first two hex chars>/<hex>`: committed blobs, fanned out so that no
 *   directory grows past a few thousand entries;
 * - `uploads/<id>`: uploads in progress, one file each;
 * - `tmp/`: reserved for temporary files (uploads are committed by renaming them in place, so
 *   nothing is staged there today); `cleanup` removes stale ones.
 *
 * Directories are created on first use. Every digest and upload id is validated (`keys.ts`, shared
 * with the S3 driver) before it becomes part of a path, so no argument can name a file outside the
 * root.
 * Committing is a truncate + fsync + rename, which gives the atomicity the contract asks for: a
 * reader sees either no blob or the whole blob.
 */
import { access, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  BlobStat,
  BlobStore,
  ByteRange,
  StoredBlob,
  StoredUpload,
} from './blobstore.ts';
import { BlobNotFoundError, UploadNotFoundError } from './blobstore.ts';
import { assertByteCount, assertRange, assertUploadId, blobPath, digestOfBlobPath, isUploadId, parseDigest } from './keys.ts';

const BLOBS_DIR = 'blobs';
const READ_CHUNK = 1024 * 1024;
const UPLOADS_DIR = 'uploads';
const TMP_DIR = 'tmp';

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** ENOTDIR counts as missing too: a stray file where a fan-out directory should be. */
function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Stats of a regular file, or null when there is none at `path`. */
async function statFile(path: string): Promise<Stats | null> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats : null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Directory entries, or none when the directory does not exist (yet). */
async function readNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** Makes a rename or create in `dir` durable: without it a crash can lose the new entry. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    // Some platforms (Windows) cannot open a directory at all; there is nothing to sync then.
    if (errorCode(err) === 'EISDIR' || errorCode(err) === 'EPERM') return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems do not support fsync on directories; their renames are as durable as
    // they get.
    if (errorCode(err) !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}

/** Writes all of `chunk` at `position` (a single write may be short) and returns the new end. */
async function writeFully(handle: FileHandle, chunk: Uint8Array, position: number): Promise<number> {
  let written = 0;
  while (written < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written, position + written);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    written += bytesWritten;
  }
  return position + written;
}

/** A BlobStore that keeps blobs and uploads as files under `root`. */
export class FsBlobStore implements BlobStore {
  readonly description: string;
  private readonly root: string;

  /** `root` may be relative; it is resolved once, here, against the current directory. */
  constructor(root: string) {
    this.root = resolve(root);
    this.description = `fs:${this.root}`;
  }

  async stat(digest: string): Promise<BlobStat | null> {
    const stats = await statFile(this.blobPath(digest));
    return stats === null ? null : { size: stats.size, modified: stats.mtime };
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const path = this.blobPath(digest);
    if (range !== undefined) assertRange(range);
    let handle: FileHandle;
    try {
      // Opening before streaming turns a missing blob into BlobNotFoundError for the caller,
      // instead of an 'error' event after the response headers went out.
      handle = await open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(digest);
      throw err;
    }
    // The stream owns the handle from here on and closes it on end, error or destroy.
    // 1 MiB reads: a tenth of the system calls and stream hops of the 64 KiB default.
    return handle.createReadStream({ highWaterMark: READ_CHUNK, ...(range === undefined ? {} : { start: range.start, end: range.end }) });
  }

  async delete(digest: string): Promise<void> {
    const path = this.blobPath(digest);
    try {
      await unlink(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async *list(): AsyncIterable<StoredBlob> {
    const blobs = join(this.root, BLOBS_DIR);
    for (const algorithm of await readNames(blobs)) {
      for (const fanOut of await readNames(join(blobs, algorithm))) {
        for (const hex of await readNames(join(blobs, algorithm, fanOut))) {
          // Only names that are exactly a blob path count; the check also keeps the joins below safe.
          const digest = digestOfBlobPath(algorithm, fanOut, hex);
          if (digest === undefined) continue;
          // A blob deleted since the directory was read is simply skipped.
          const stats = await statFile(join(blobs, algorithm, fanOut, hex));
          if (stats === null) continue;
          yield { digest, size: stats.size, modified: stats.mtime };
        }
      }
    }
  }

  async createUpload(id: string): Promise<void> {
    const path = this.uploadPath(id);
    await mkdir(dirname(path), { recursive: true });
    let handle: FileHandle;
    try {
      // 'wx': never truncate an upload that is already in progress under the same id.
      handle = await open(path, 'wx');
    } catch (err) {
      if (errorCode(err) === 'EEXIST') throw new Error(`upload ${id} already exists`);
      throw err;
    }
    await handle.close();
    await syncDirectory(dirname(path));
  }

  async appendUpload(id: string, offset: number, data: AsyncIterable<Uint8Array>): Promise<number> {
    const path = this.uploadPath(id);
    assertByteCount('offset', offset);
    const handle = await this.openUpload(id, path, 'r+');
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        // The caller's offset is ahead of the bytes we hold: a caller bug or lost data. Guessing
        // would corrupt the blob, so refuse.
        throw new Error(`upload ${id} holds ${size} bytes, fewer than the offset ${offset}`);
      }
      // Bytes past the offset are the remains of an append that was never acknowledged.
      if (size > offset) await handle.truncate(offset);

      let position = offset;
      try {
        await pipeline(data, async (source: AsyncIterable<Uint8Array>) => {
          // One awaited write at a time: memory stays at one chunk, and nothing is in flight
          // when the source fails, so the truncate below cannot race a late write.
          for await (const chunk of source) position = await writeFully(handle, chunk, position);
        });
        // Once the caller acknowledges the new offset to the client, the bytes must survive a crash.
        await handle.sync();
      } catch (err) {
        // Cut back to the acknowledged offset; if that fails too, the next append trims anyway,
        // so the original error is the one worth reporting.
        await handle.truncate(offset).catch(() => undefined);
        throw err;
      }
      return position;
    } finally {
      await handle.close();
    }
  }

  async readUpload(id: string, size: number): Promise<Readable> {
    const path = this.uploadPath(id);
    assertByteCount('size', size);
    const handle = await this.openUpload(id, path, 'r');
    try {
      const stats = await handle.stat();
      if (stats.size < size) {
        throw new Error(`upload ${id} holds ${stats.size} bytes, fewer than the ${size} asked for`);
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    if (size === 0) {
      // createReadStream cannot express an empty range (end is inclusive).
      await handle.close();
      return Readable.from([], { objectMode: false });
    }
    return handle.createReadStream({ highWaterMark: READ_CHUNK, start: 0, end: size - 1 });
  }

  async commitUpload(id: string, size: number, digest: string): Promise<void> {
    const upload = this.uploadPath(id);
    const blob = this.blobPath(digest);
    assertByteCount('size', size);
    const handle = await this.openUpload(id, upload, 'r+');
    let blobExists: boolean;
    try {
      blobExists = (await statFile(blob)) !== null;
      if (!blobExists) {
        const stored = (await handle.stat()).size;
        if (stored < size) {
          throw new Error(`upload ${id} holds ${stored} bytes, fewer than the ${size} to commit`);
        }
        if (stored > size) await handle.truncate(size);
        // The blob's age starts now, not at the last append: garbage collection's grace period
        // must cover the time between this commit and the manifest that references it.
        const now = new Date();
        await handle.utimes(now, now);
        // The content must be on disk before the rename makes it visible under its digest.
        await handle.sync();
      }
    } finally {
      await handle.close();
    }

    if (blobExists) {
      // Content-addressed: the stored blob already is these bytes, and is kept as is.
      await this.abortUpload(id);
      return;
    }
    const parent = dirname(blob);
    await mkdir(parent, { recursive: true });
    try {
      // Atomic within one filesystem: readers see no blob or the whole blob.
      await rename(upload, blob);
    } catch (err) {
      if (isNotFound(err)) throw new UploadNotFoundError(id);
      throw err;
    }
    await syncDirectory(parent);
  }

  async abortUpload(id: string): Promise<void> {
    const path = this.uploadPath(id);
    try {
      await unlink(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async *listUploads(): AsyncIterable<StoredUpload> {
    const uploads = join(this.root, UPLOADS_DIR);
    for (const id of await readNames(uploads)) {
      if (!isUploadId(id)) continue;
      const stats = await statFile(join(uploads, id));
      if (stats === null) continue;
      yield { id, size: stats.size, modified: stats.mtime };
    }
  }

  /** Files cannot be handed out by URL: blobs are always streamed through the Hub. */
  async redirectUrl(digest: string): Promise<string | undefined> {
    parseDigest(digest);
    return undefined;
  }

  /**
   * Removes files in `tmp/` last modified before `olderThan` (nothing is staged there today, so
   * this only clears what an older or future version left), returning their paths below the root.
   */
  async cleanup(olderThan: Date): Promise<string[]> {
    const tmp = join(this.root, TMP_DIR);
    const removed: string[] = [];
    for (const name of await readNames(tmp)) {
      const stats = await statFile(join(tmp, name));
      if (stats === null || stats.mtime >= olderThan) continue;
      try {
        await unlink(join(tmp, name));
        removed.push(`${TMP_DIR}/${name}`);
      } catch (err) {
        // Gone meanwhile: someone else cleaned it up.
        if (!isNotFound(err)) throw err;
      }
    }
    return removed;
  }

  async check(): Promise<void> {
    // The root must exist (or be creatable) and be writable.
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK);
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  /** Path of a committed blob; throws on a malformed digest. */
  private blobPath(digest: string): string {
    return join(this.root, BLOBS_DIR, ...blobPath(digest).split('/'));
  }

  /** Path of an upload; throws on a malformed id. */
  private uploadPath(id: string): string {
    assertUploadId(id);
    return join(this.root, UPLOADS_DIR, id);
  }

  private async openUpload(id: string, path: string, flags: 'r' | 'r+'): Promise<FileHandle> {
    try {
      return await open(path, flags);
    } catch (err) {
      if (isNotFound(err)) throw new UploadNotFoundError(id);
      throw err;
    }
  }
}
