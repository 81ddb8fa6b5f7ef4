/** A JSON document (config or manifest) as the bytes that get pushed, with their digest. */
import { createHash } from 'node:crypto';
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
