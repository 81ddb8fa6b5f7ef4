/**
 * The S3 BlobStore: blobs and uploads as objects in one bucket (AWS S3, or any S3-compatible
 * server: MinIO, Ceph RGW, Garage, R2, moto), below an optional key prefix.
 *
 * Layout below the prefix:
 * - `blobs/<algorithm>/<first two hex chars>/<hex>`: committed blobs (the fs layout);
 * - `uploads/<id>/started`: an empty marker, written by createUpload; an upload exists while it does;
 * - `uploads/<id>/part-<index>`: the upload's bytes in full parts of exactly PART_SIZE, index from 0;
 * - `uploads/<id>/tail`: the bytes after the last full part (1 to PART_SIZE - 1 of them), if any;
 * - `uploads/<id>/group-<n>`: scratch objects of a commit too large for one multipart upload.
 *
 * Nothing is kept in process memory between calls: every call reads the upload's state from
 * its listing, so an upload continues after a restart, or on another Hub replica, and can be read
 * back whole at any time (which the Hub needs to rebuild its running hash). The bytes of an upload
 * are `part-0 … part-(m-1)` followed by `tail`, where `m` is the first index that has no full
 * part. Every change keeps the bytes the caller has acknowledged intact at every step (new parts
 * and a new tail go in before anything is deleted), so a crash in the middle of an append or a
 * truncation leaves at most extra bytes past the acknowledged offset, which the next append cuts.
 *
 * Appending buffers at most one part (PART_SIZE) per upload, whatever the chunk sizes: chunks are
 * cut into full parts, each written with PutObject, and the rest becomes the new tail. Committing
 * concatenates the parts server-side (CopyObject for one object; otherwise a multipart upload of
 * UploadPartCopy calls, where every part but the last is PART_SIZE >= the 5 MiB S3 minimum), so
 * the blob appears atomically and no byte passes through the Hub again.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStat, BlobStore, ByteRange, StoredBlob, StoredUpload } from './blobstore.ts';
import { BlobNotFoundError, UploadNotFoundError } from './blobstore.ts';
import { assertByteCount, assertRange, assertUploadId, blobPath, digestOfBlobPath, isUploadId } from './keys.ts';

/** Where and how to store: the `s3` storage configuration of the Hub. */
export interface S3StoreOptions {
  bucket: string;
  /** Endpoint of an S3-compatible server; absent for AWS. */
  endpoint?: string;
  region: string;
  /** Key prefix inside the bucket, without slashes at either end ('' for none). */
  prefix: string;
  forcePathStyle: boolean;
  /** Have `redirectUrl` hand out presigned GET URLs, so clients fetch blobs from S3 directly. */
  redirect: boolean;
}

const MiB = 1024 * 1024;
/**
 * Size of every full upload part, and so the memory one append buffers. At least the 5 MiB
 * minimum of a multipart part, because parts become the blob's multipart parts on commit.
 */
export const PART_SIZE = 8 * MiB;
/** How long a redirect URL stays valid. */
const REDIRECT_SECONDS = 15 * 60;
/** S3 requests in flight at once for one copy or delete of many objects. */
const CONCURRENCY = 8;
const CONTENT_TYPE = 'application/octet-stream';
/** Connections to S3 open at once. */
const MAX_SOCKETS = 512;

const BLOBS = 'blobs/';
const UPLOADS = 'uploads/';
const STARTED = 'started';
const TAIL = 'tail';
const PART_PATTERN = /^part-(\d{1,9})$/;

/** One object of an upload, as its listing shows it. */
interface UploadObject {
  key: string;
  size: number;
  modified: Date;
}

/** An upload's objects, sorted by role. */
interface UploadObjects {
  started: boolean;
  parts: Map<number, UploadObject>;
  tail: UploadObject | undefined;
  /** Every object under the upload's prefix, including scratch ones. */
  all: UploadObject[];
}

/** A run of bytes stored in one object: its first `length` bytes. */
interface Segment {
  key: string;
  length: number;
}

/** A BlobStore on an S3 bucket (see the module comment for the layout). */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  /** S3's limits on one multipart upload; protected so that tests can shrink them. */
  protected readonly limits = { maxParts: 10_000, maxCopySourceBytes: 5 * 1024 * MiB };
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly redirect: boolean;
  private readonly where: string;

  constructor(options: S3StoreOptions) {
    const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.bucket = options.bucket;
    this.prefix = prefix === '' ? '' : `${prefix}/`;
    this.redirect = options.redirect;
    this.where = options.endpoint ?? `AWS (${options.region})`;
    this.description = `s3:${options.endpoint ?? 'aws'}/${options.bucket}${prefix === '' ? '' : `/${prefix}`}`;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // Every blob download holds a connection for as long as the client reads: the SDK's
      // default of 50 would let a few slow pulls stall every other request.
      requestHandler: { httpAgent: { maxSockets: MAX_SOCKETS }, httpsAgent: { maxSockets: MAX_SOCKETS } },
    };
    if (options.endpoint !== undefined) {
      config.endpoint = options.endpoint;
      // Most S3-compatible servers reject or ignore the newer default integrity checksums.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    // Credentials come from the standard AWS chain (environment, profile, instance role).
    this.client = new S3Client(config);
  }

  async stat(digest: string): Promise<BlobStat | null> {
    const head = await this.head(this.blobKey(digest));
    return head === null ? null : { size: head.size, modified: head.modified };
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const key = this.blobKey(digest);
    if (range !== undefined) assertRange(range);
    try {
      // Requesting before returning turns a missing blob into BlobNotFoundError for the caller,
      // instead of an 'error' event after the response headers went out.
      return await this.get(key, range === undefined ? undefined : `bytes=${range.start}-${range.end}`);
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(digest);
      throw err;
    }
  }

  async delete(digest: string): Promise<void> {
    // S3 answers a delete of a missing key with success: idempotent as it is.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.blobKey(digest) }));
  }

  async *list(): AsyncIterable<StoredBlob> {
    for await (const object of this.listObjects(this.prefix + BLOBS)) {
      const [algorithm, fanOut, hex, ...rest] = object.key.slice(this.prefix.length + BLOBS.length).split('/');
      if (algorithm === undefined || fanOut === undefined || hex === undefined || rest.length > 0) continue;
      const digest = digestOfBlobPath(algorithm, fanOut, hex);
      if (digest !== undefined) yield { digest, size: object.size, modified: object.modified };
    }
  }

  async createUpload(id: string): Promise<void> {
    const objects = await this.uploadObjects(id);
    if (objects.started) throw new Error(`upload ${id} already exists`);
    // Objects without a marker are the remains of an interrupted abort of the same id.
    await this.deleteKeys(objects.all.map((object) => object.key));
    await this.put(this.uploadKey(id, STARTED), new Uint8Array(0));
  }

  async appendUpload(id: string, offset: number, data: AsyncIterable<Uint8Array>): Promise<number> {
    assertUploadId(id);
    assertByteCount('offset', offset);
    const objects = await this.existingUpload(id);
    const stored = uploadSize(objects);
    if (stored < offset) {
      // The caller's offset is ahead of the bytes we hold: a caller bug or lost data. Guessing
      // would corrupt the blob, so refuse.
      throw new Error(`upload ${id} holds ${stored} bytes, fewer than the offset ${offset}`);
    }
    // Bytes past the offset are the remains of an append that was never acknowledged.
    const tail = (await this.truncate(id, objects, offset)) ?? (await this.readTail(id, offset));
    try {
      return await this.write(id, offset, tail, data);
    } catch (err) {
      // Cut back to the acknowledged offset; if that fails too, the next append trims anyway,
      // so the original error is the one worth reporting.
      await this.uploadObjects(id)
        .then((now) => this.truncate(id, now, offset))
        .catch(() => undefined);
      throw err;
    }
  }

  async readUpload(id: string, size: number): Promise<Readable> {
    assertUploadId(id);
    assertByteCount('size', size);
    const objects = await this.existingUpload(id);
    const stored = uploadSize(objects);
    if (stored < size) throw new Error(`upload ${id} holds ${stored} bytes, fewer than the ${size} asked for`);
    return Readable.from(this.streamSegments(segmentsOf(objects, size)), { objectMode: false });
  }

  async commitUpload(id: string, size: number, digest: string): Promise<void> {
    assertUploadId(id);
    assertByteCount('size', size);
    const blob = this.blobKey(digest);
    const objects = await this.existingUpload(id);
    const stored = uploadSize(objects);
    if (stored < size) throw new Error(`upload ${id} holds ${stored} bytes, fewer than the ${size} to commit`);

    if ((await this.head(blob)) === null) {
      // Whole objects only from here on: the upload becomes exactly the blob's bytes.
      await this.truncate(id, objects, size);
      const segments = segmentsOf(await this.uploadObjects(id), size);
      await this.compose(blob, segments, id);
    }
    // Content-addressed: an existing blob already is these bytes, and is kept as is.
    await this.abortUpload(id);
  }

  async abortUpload(id: string): Promise<void> {
    const objects = await this.uploadObjects(id);
    // The marker goes first: from then on the upload is gone for every caller, and anything a
    // crash leaves behind is listed as a marker-less upload that garbage collection removes.
    if (objects.started) await this.deleteKeys([this.uploadKey(id, STARTED)]);
    await this.deleteKeys(objects.all.map((object) => object.key).filter((key) => !key.endsWith(`/${STARTED}`)));
  }

  async *listUploads(): AsyncIterable<StoredUpload> {
    // S3 lists keys in lexicographic order, so the objects of one upload arrive together.
    let id: string | undefined;
    let objects: UploadObject[] = [];
    for await (const object of this.listObjects(this.prefix + UPLOADS)) {
      const next = object.key.slice(this.prefix.length + UPLOADS.length).split('/')[0] ?? '';
      if (!isUploadId(next)) continue;
      if (next !== id) {
        if (id !== undefined) yield summarize(id, objects, this.uploadPrefix(id));
        id = next;
        objects = [];
      }
      objects.push(object);
    }
    if (id !== undefined) yield summarize(id, objects, this.uploadPrefix(id));
  }

  async redirectUrl(digest: string): Promise<string | undefined> {
    const key = this.blobKey(digest);
    if (!this.redirect) return undefined;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: REDIRECT_SECONDS });
  }

  /**
   * Aborts multipart uploads under the prefix initiated before `olderThan`: the store starts them
   * only while committing, so an old one was abandoned by a crash (S3 keeps, and bills, its parts
   * until it is aborted). Returns `multipart upload <key> <upload id>` for each.
   */
  async cleanup(olderThan: Date): Promise<string[]> {
    const removed: string[] = [];
    for (const area of [BLOBS, UPLOADS]) {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix + area, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) {
          if (upload.Key === undefined || upload.UploadId === undefined) continue;
          if (upload.Initiated === undefined || upload.Initiated >= olderThan) continue;
          await this.abortMultipart(upload.Key, upload.UploadId);
          removed.push(`multipart upload ${upload.Key} ${upload.UploadId}`);
        }
        const more = page.IsTruncated === true;
        keyMarker = more ? page.NextKeyMarker : undefined;
        uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
    }
    return removed;
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw new Error(`S3 bucket "${this.bucket}" at ${this.where} is not usable: ${explain(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  // --- uploads -------------------------------------------------------------------------------

  /**
   * Cuts the upload back to its first `size` bytes, given its current `objects`, and returns the
   * new tail's bytes when it had to read them. The new tail is written before any part is
   * deleted, so the bytes before `size` stay readable throughout.
   */
  private async truncate(id: string, objects: UploadObjects, size: number): Promise<Uint8Array | undefined> {
    const stored = uploadSize(objects);
    if (stored < size) throw new Error(`upload ${id} holds ${stored} bytes, fewer than ${size}`);
    const keep = Math.floor(size / PART_SIZE);
    const rest = size % PART_SIZE;
    let tail: Uint8Array | undefined;
    if (rest === 0) {
      if (objects.tail !== undefined) await this.deleteKeys([objects.tail.key]);
    } else if (keep < fullParts(objects)) {
      // The cut falls inside a full part: its start becomes the tail.
      tail = await this.getBytes(this.partKey(id, keep), rest);
      await this.put(this.uploadKey(id, TAIL), tail);
    } else if (objects.tail !== undefined && objects.tail.size > rest) {
      // The cut falls inside the tail (it cannot be past it: stored >= size).
      tail = await this.getBytes(objects.tail.key, rest);
      await this.put(this.uploadKey(id, TAIL), tail);
    }
    // Parts from `keep` on: past the cut, or remains of an append that never finished.
    const doomed = [...objects.parts].filter(([index]) => index >= keep).map(([, part]) => part.key);
    await this.deleteKeys(doomed);
    return tail;
  }

  /** The tail's bytes of an upload just cut to `size` bytes (so the tail holds exactly the rest). */
  private async readTail(id: string, size: number): Promise<Uint8Array> {
    const rest = size % PART_SIZE;
    return rest === 0 ? new Uint8Array(0) : this.getBytes(this.uploadKey(id, TAIL), rest);
  }

  /**
   * Writes `data` after the first `offset` bytes, whose last `tail.byteLength` bytes form the
   * current tail, cutting full parts as they fill; returns the new size.
   */
  private async write(id: string, offset: number, tail: Uint8Array, data: AsyncIterable<Uint8Array>): Promise<number> {
    // The one buffer of this append: the part being filled.
    const buffer = Buffer.allocUnsafe(PART_SIZE);
    buffer.set(tail, 0);
    let filled = tail.byteLength;
    let index = (offset - filled) / PART_SIZE;
    let size = offset;
    for await (const chunk of data) {
      for (let used = 0; used < chunk.byteLength; ) {
        const take = Math.min(PART_SIZE - filled, chunk.byteLength - used);
        buffer.set(chunk.subarray(used, used + take), filled);
        filled += take;
        used += take;
        if (filled === PART_SIZE) {
          // Awaited before reading on: the source waits while S3 is slower than it.
          await this.put(this.partKey(id, index), buffer);
          index += 1;
          filled = 0;
        }
      }
      size += chunk.byteLength;
    }
    if (size === offset) return size;
    // The tail goes last: until then the old tail still ends the acknowledged bytes.
    if (filled > 0) await this.put(this.uploadKey(id, TAIL), buffer.subarray(0, filled));
    else if (tail.byteLength > 0) await this.deleteKeys([this.uploadKey(id, TAIL)]);
    return size;
  }

  /** Streams the segments one after another, one S3 request at a time. */
  private async *streamSegments(segments: Segment[]): AsyncGenerator<Uint8Array> {
    for (const { key, length } of segments) {
      const body = await this.get(key, `bytes=0-${length - 1}`);
      try {
        for await (const chunk of body) yield chunk as Uint8Array;
      } finally {
        // Reached early when the reader stops: the connection must not stay half-read.
        body.destroy();
      }
    }
  }

  /** The upload's objects; UploadNotFoundError when it has no marker. */
  private async existingUpload(id: string): Promise<UploadObjects> {
    const objects = await this.uploadObjects(id);
    if (!objects.started) throw new UploadNotFoundError(id);
    return objects;
  }

  /** Lists and sorts the objects under the upload's prefix. */
  private async uploadObjects(id: string): Promise<UploadObjects> {
    const prefix = this.uploadPrefix(id);
    const all: UploadObject[] = [];
    for await (const object of this.listObjects(prefix)) all.push(object);
    return classify(all, prefix);
  }

  // --- commit --------------------------------------------------------------------------------

  /**
   * Makes `key` the concatenation of `segments` (each a whole object) server-side. Scratch objects
   * go under the upload's prefix, where aborting the upload removes them.
   */
  private async compose(key: string, segments: Segment[], id: string): Promise<void> {
    const [first] = segments;
    if (first === undefined) return this.put(key, new Uint8Array(0));
    if (segments.length === 1) return this.copy(first.key, key);
    if (segments.length <= this.limits.maxParts) return this.multipartCopy(key, segments);
    // More parts than one multipart upload takes: concatenate runs of them into scratch objects
    // (each at most what one part copy may read), then those.
    const perGroup = Math.max(2, Math.floor(this.limits.maxCopySourceBytes / PART_SIZE));
    const groups: Segment[] = [];
    for (let start = 0; start < segments.length; start += perGroup) {
      const run = segments.slice(start, start + perGroup);
      const group = { key: this.uploadKey(id, `group-${groups.length}`), length: run.reduce((sum, s) => sum + s.length, 0) };
      await (run.length === 1 ? this.copy(run[0]!.key, group.key) : this.multipartCopy(group.key, run));
      groups.push(group);
    }
    if (groups.length > this.limits.maxParts) throw new Error(`blob of ${segments.length} parts is too large for S3`);
    await this.multipartCopy(key, groups);
  }

  /** One multipart upload of `key` with a part copied from each segment; aborted on failure. */
  private async multipartCopy(key: string, segments: Segment[]): Promise<void> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: CONTENT_TYPE }),
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error(`S3 started no multipart upload for ${key}`);
    try {
      const etags = new Array<string>(segments.length);
      await forEachLimit(segments, CONCURRENCY, async (segment, index) => {
        const copied = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: this.copySource(segment.key),
          }),
        );
        const etag = copied.CopyPartResult?.ETag;
        if (etag === undefined) throw new Error(`S3 returned no ETag for part ${index + 1} of ${key}`);
        etags[index] = etag;
      });
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
        }),
      );
    } catch (err) {
      // Left behind, its parts would be stored (and billed) until `cleanup` finds them.
      await this.abortMultipart(key, uploadId).catch(() => undefined);
      throw err;
    }
  }

  private async copy(from: string, to: string): Promise<void> {
    await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: this.copySource(from) }));
  }

  private async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      // Completed or aborted meanwhile: nothing is left to remove.
      if (!(err instanceof Error && err.name === 'NoSuchUpload')) throw err;
    }
  }

  /** `CopySource` names bucket and key URL-encoded; the key segments may hold any prefix text. */
  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  // --- objects -------------------------------------------------------------------------------

  private async head(key: string): Promise<BlobStat | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** The object's body as a stream, or its `range` (an HTTP Range value). */
  private async get(key: string, range?: string): Promise<Readable> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
    const body = object.Body;
    if (body instanceof Readable) return body;
    // An empty object may come without a body at all.
    if (body === undefined) return Readable.from([], { objectMode: false });
    throw new Error(`S3 returned an unexpected body type for ${key}`);
  }

  /** The first `length` (at most PART_SIZE) bytes of an object, in memory. */
  private async getBytes(key: string, length: number): Promise<Uint8Array> {
    const parts: Buffer[] = [];
    for await (const chunk of await this.get(key, `bytes=0-${length - 1}`)) parts.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(parts);
    if (bytes.byteLength !== length) throw new Error(`${key} holds ${bytes.byteLength} bytes, expected at least ${length}`);
    return bytes;
  }

  private async put(key: string, body: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentType: CONTENT_TYPE }),
    );
  }

  /** Deletes each key (missing ones included) a few at a time. */
  private async deleteKeys(keys: string[]): Promise<void> {
    // Single deletes rather than DeleteObjects, which needs a Content-MD5 or checksum header
    // that not every S3-compatible server accepts in the form the SDK sends.
    await forEachLimit(keys, CONCURRENCY, async (key) => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    });
  }

  /** Every object under `prefix`, page by page. */
  private async *listObjects(prefix: string): AsyncGenerator<UploadObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  // --- keys ----------------------------------------------------------------------------------

  /** Key of a committed blob; throws on a malformed digest. */
  private blobKey(digest: string): string {
    return `${this.prefix}${BLOBS}${blobPath(digest)}`;
  }

  /** `<prefix>uploads/<id>/`; throws on a malformed id. */
  private uploadPrefix(id: string): string {
    assertUploadId(id);
    return `${this.prefix}${UPLOADS}${id}/`;
  }

  private uploadKey(id: string, name: string): string {
    return this.uploadPrefix(id) + name;
  }

  private partKey(id: string, index: number): string {
    return this.uploadKey(id, `part-${String(index).padStart(6, '0')}`);
  }
}

/** Sorts an upload's listing (keys under `prefix`) into marker, parts and tail. */
function classify(all: UploadObject[], prefix: string): UploadObjects {
  const objects: UploadObjects = { started: false, parts: new Map(), tail: undefined, all };
  for (const object of all) {
    const name = object.key.slice(prefix.length);
    const part = PART_PATTERN.exec(name)?.[1];
    if (name === STARTED) objects.started = true;
    else if (name === TAIL) objects.tail = object;
    else if (part !== undefined) objects.parts.set(Number(part), object);
  }
  return objects;
}

/** How many parts, from index 0, are there in full: the rest are remains past a crash. */
function fullParts(objects: UploadObjects): number {
  let count = 0;
  while (objects.parts.get(count)?.size === PART_SIZE) count += 1;
  return count;
}

/** Bytes the upload holds: its full parts, then its tail. */
function uploadSize(objects: UploadObjects): number {
  return fullParts(objects) * PART_SIZE + (objects.tail?.size ?? 0);
}

/** The objects (or starts of objects) that hold the upload's first `size` bytes, in order. */
function segmentsOf(objects: UploadObjects, size: number): Segment[] {
  const segments: Segment[] = [];
  const full = fullParts(objects);
  let left = size;
  for (let index = 0; index < full && left > 0; index += 1) {
    const length = Math.min(PART_SIZE, left);
    segments.push({ key: objects.parts.get(index)!.key, length });
    left -= length;
  }
  if (left > 0 && objects.tail !== undefined) segments.push({ key: objects.tail.key, length: left });
  return segments;
}

function summarize(id: string, all: UploadObject[], prefix: string): StoredUpload {
  const modified = all.reduce((latest, object) => (object.modified > latest ? object.modified : latest), new Date(0));
  return { id, size: uploadSize(classify(all, prefix)), modified };
}

/** Runs `work` on every item with at most `limit` in flight; rejects with the first failure. */
async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // Once one fails the others stop taking items, so the caller's rejection comes promptly.
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((result) => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata = err.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** A missing key (not a missing bucket, which must not look like a missing blob). */
function isNotFound(err: unknown): boolean {
  if (!(err instanceof Error) || err.name === 'NoSuchBucket') return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || httpStatus(err) === 404;
}

/** Why a request for the bucket failed, in words an operator can act on. */
function explain(err: unknown): string {
  const status = httpStatus(err);
  // A refused connection to `localhost` is an AggregateError with an empty message but a code.
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const message = err instanceof Error ? err.message || code || err.name : String(err);
  if (status === 404) return 'the bucket does not exist';
  if (status === 403) return 'access denied (check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)';
  if (status === 301) return 'the bucket is in another region (set NOCKER_S3_REGION)';
  return status === undefined ? message : `HTTP ${status}: ${message}`;
}
