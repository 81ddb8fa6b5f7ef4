/**
 * Digests (`algorithm:encoded`) as the OCI image spec defines them, and the hashing behind them.
 * The Hub accepts sha256 and sha512; any other algorithm is DIGEST_INVALID, naming the two.
 */
import { createHash, type Hash } from 'node:crypto';
import { OciError } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Digest {
  algorithm: DigestAlgorithm;
  encoded: string;
  /** The canonical string form, `algorithm:encoded`. */
  value: string;
}

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Parses and checks a digest string; throws DIGEST_INVALID when it is malformed or of another algorithm.
 *
 * @example
 * parseDigest('sha256:2c26b4…').algorithm // 'sha256'
 */
export function parseDigest(text: string): Digest {
  if (!DIGEST_GRAMMAR.test(text)) {
    throw new OciError('DIGEST_INVALID', `"${truncate(text)}" is not a digest: expected algorithm:hex, such as sha256:<64 hex digits>`);
  }
  const colon = text.indexOf(':');
  const algorithm = text.slice(0, colon);
  const encoded = text.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new OciError('DIGEST_INVALID', `digest algorithm "${algorithm}" is not supported: use sha256 or sha512`, {
      detail: { algorithm, supported: ['sha256', 'sha512'] },
    });
  }
  const expected = ENCODED_LENGTH[algorithm];
  if (encoded.length !== expected || !/^[a-f0-9]+$/.test(encoded)) {
    throw new OciError('DIGEST_INVALID', `a ${algorithm} digest has ${expected} lowercase hex digits, got "${truncate(encoded)}"`);
  }
  return { algorithm, encoded, value: text };
}

/** True when `text` is a valid, supported digest. */
export function isDigest(text: string): boolean {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}

/** A running hash that yields an OCI digest string at the end. */
export function createDigester(algorithm: DigestAlgorithm = 'sha256'): { hash: Hash; digest(): string } {
  const hash = createHash(algorithm);
  return { hash, digest: () => `${algorithm}:${hash.digest('hex')}` };
}

/** Digest of bytes held in memory (manifests, small documents). */
export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
