/** A JSON document (config or manifest) as the bytes that get pushed, with their digest. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { canonicalJson, type JsonValue } from './canonical-json.ts';

/** Bytes with their OCI descriptor fields. */
export interface JsonBlob {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  size: number;
}

/**
 * Serializes `value` canonically and digests the bytes.
 *
 * @example
 * jsonBlob('application/vnd.oci.image.config.v1+json', {}); // { bytes: <Buffer 7b 7d>, digest: 'sha256:4413…', size: 2, … }
 */
export function jsonBlob(mediaType: string, value: JsonValue): JsonBlob {
  const bytes = Buffer.from(canonicalJson(value), 'utf8');
  return { mediaType, bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
}

/**
 * The sha256 digest of the file at `path`, read as a stream (never whole in memory).
 *
 * @example
 * await fileDigest('build.log'); // 'sha256:…'
 */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
