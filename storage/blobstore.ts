/**
 * The BlobStore contract: the whole of what the Hub asks of a storage backend.
 *
 * A store knows bytes and keys, nothing about repositories, manifests or databases. Content is
 * addressed by digest string (`sha256:<hex>`); uploads in progress are addressed by an opaque
 * upload id chosen by the caller. Every driver (fs, S3) passes the same contract suite in
 * `storage/contract.ts`.
 *
 * Guarantees every driver gives:
 * - committed blobs appear atomically: a reader sees the whole blob or nothing;
 * - writes stream: memory use does not grow with blob size;
 * - a crash at any point leaves at most an orphan upload or an unreferenced blob, never a torn one.
 */
import type { Readable } from 'node:stream';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStat {
  size: number;
  /** Last modification time, used by garbage collection's grace period. */
  modified: Date;
}

export interface StoredBlob extends BlobStat {
  digest: string;
}

export interface StoredUpload extends BlobStat {
  id: string;
}

export interface BlobStore {
  /** Backend name and location for the start-up line, e.g. `fs:/var/lib/nocker/blobs`. */
  readonly description: string;

  /** Size and age of a committed blob, or `null` when it is not stored. */
  stat(digest: string): Promise<BlobStat | null>;
  /** Streams a committed blob, or the inclusive `range` of it. Rejects with `BlobNotFoundError`. */
  read(digest: string, range?: ByteRange): Promise<Readable>;
  /** Removes a committed blob; removing a missing blob is not an error. */
  delete(digest: string): Promise<void>;
  /** Every committed blob, in no particular order. */
  list(): AsyncIterable<StoredBlob>;

  /** Creates an empty upload. */
  createUpload(id: string): Promise<void>;
  /**
   * Appends `data` to an upload that currently holds exactly `offset` bytes, and returns the
   * new size. Bytes past `offset` left by an interrupted earlier append are discarded first, so
   * the caller's record of the offset stays the truth. On failure the upload is cut back to
   * `offset`. Rejects with `UploadNotFoundError` when the upload does not exist.
   */
  appendUpload(id: string, offset: number, data: AsyncIterable<Uint8Array>): Promise<number>;
  /** Streams the first `size` bytes of an upload (to rebuild a hash after a restart). */
  readUpload(id: string, size: number): Promise<Readable>;
  /**
   * Makes the first `size` bytes of an upload the committed blob `digest` and removes the
   * upload. The caller has verified the digest. If the blob already exists it is kept as is.
   */
  commitUpload(id: string, size: number, digest: string): Promise<void>;
  /** Removes an upload and its bytes; removing a missing upload is not an error. */
  abortUpload(id: string): Promise<void>;
  /** Every upload in progress, for garbage collection of abandoned ones. */
  listUploads(): AsyncIterable<StoredUpload>;

  /**
   * A URL from which a client may fetch the whole committed blob `digest` directly, bypassing the
   * Hub, or undefined when the backend has none (or redirects are off): S3 answers with a
   * short-lived presigned URL when configured to. Does not check that the blob exists.
   */
  redirectUrl(digest: string): Promise<string | undefined>;

  /**
   * Removes backend leftovers older than `olderThan` that no upload id or digest names, and
   * returns a description of each one removed. S3: multipart uploads abandoned by a crash in the
   * middle of a commit; fs: stale temporary files. Garbage collection calls it.
   */
  cleanup(olderThan: Date): Promise<string[]>;

  /** Resolves when the backend is reachable and writable enough to serve; rejects saying why. */
  check(): Promise<void>;
  /** Releases resources (connections, handles). */
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly digest: string) {
    super(`blob ${digest} is not in storage`);
    this.name = 'BlobNotFoundError';
  }
}

export class UploadNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`upload ${id} is not in storage`);
    this.name = 'UploadNotFoundError';
  }
}
