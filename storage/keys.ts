/**
 * Validation of everything a driver turns into a path or an object key: digests, upload ids and
 * byte counts. Both drivers (fs, S3) go through these functions, so no argument can name a file
 * outside a store's root or an object outside its prefix.
 *
 * A committed blob lives at `<algorithm>/<first two hex chars>/<hex>` below a driver's blob
 * directory or key prefix; `blobPath` builds that, `digestOfBlobPath` reads it back when listing.
 */
import type { ByteRange } from './blobstore.ts';

/** Supported digest algorithms and the length of their lowercase hex encoding. */
export const HEX_LENGTH: ReadonlyMap<string, number> = new Map<string, number>([
  ['sha256', 64],
  ['sha512', 128],
]);
const DIGEST_PATTERN = /^([a-z0-9]+):([a-f0-9]+)$/;
const HEX_PATTERN = /^[a-f0-9]+$/;
const FAN_OUT_PATTERN = /^[a-f0-9]{2}$/;
const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** A digest split into its parts, both safe to use as path segments. */
export interface ParsedDigest {
  algorithm: string;
  hex: string;
}

/** Splits a digest into algorithm and hex, or throws: the only gate between input and keys. */
export function parseDigest(digest: string): ParsedDigest {
  const match = typeof digest === 'string' ? DIGEST_PATTERN.exec(digest) : null;
  const algorithm = match?.[1];
  const hex = match?.[2];
  if (algorithm === undefined || hex === undefined) {
    throw new Error(`invalid digest ${JSON.stringify(digest)}: expected <algorithm>:<hex>`);
  }
  const length = HEX_LENGTH.get(algorithm);
  if (length === undefined) {
    throw new Error(`invalid digest ${JSON.stringify(digest)}: unsupported algorithm ${algorithm}`);
  }
  if (hex.length !== length) {
    throw new Error(`invalid digest ${JSON.stringify(digest)}: ${algorithm} needs ${length} hex digits`);
  }
  return { algorithm, hex };
}

/** `<algorithm>/<fan-out>/<hex>` of a digest, with `/` separators; throws on a malformed digest. */
export function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

/**
 * The digest stored under the path segments `algorithm`, `fanOut`, `hex` (as `blobPath` lays them
 * out), or undefined when they are not exactly such a path: listings skip anything else.
 */
export function digestOfBlobPath(algorithm: string, fanOut: string, hex: string): string | undefined {
  const length = HEX_LENGTH.get(algorithm);
  if (length === undefined || !FAN_OUT_PATTERN.test(fanOut)) return undefined;
  if (hex.length !== length || !HEX_PATTERN.test(hex) || !hex.startsWith(fanOut)) return undefined;
  return `${algorithm}:${hex}`;
}

/** Whether `id` may name an upload: 1 to 128 of `A-Z a-z 0-9 _ -`, so never `.`, `/` or `\`. */
export function isUploadId(id: string): boolean {
  return typeof id === 'string' && UPLOAD_ID_PATTERN.test(id);
}

/** Throws unless `id` may name an upload (see `isUploadId`). */
export function assertUploadId(id: string): void {
  if (!isUploadId(id)) throw new Error(`invalid upload id ${JSON.stringify(id)}`);
}

/** Throws unless `value` is a whole, non-negative, safe number of bytes. */
export function assertByteCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/** Throws unless `range` is a well-formed inclusive byte range. */
export function assertRange(range: ByteRange): void {
  assertByteCount('range start', range.start);
  assertByteCount('range end', range.end);
  if (range.start > range.end) {
    throw new RangeError(`range start ${range.start} is past its end ${range.end}`);
  }
}
