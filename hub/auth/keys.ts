/**
 * The key that signs this Hub's tokens, and the public keys of every replica. The private key
 * comes from `NOCKER_TOKEN_KEY` (PEM, or a path to a PEM file) or is generated on first start
 * and kept in the data directory; its public half is published in the database, so that any
 * replica accepts tokens any other replica issued, and served as a JWKS.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { tokenKeys } from '../db/schema.ts';

export type SigningAlgorithm = 'ES256' | 'EdDSA';
export const SIGNING_ALGORITHMS: SigningAlgorithm[] = ['ES256', 'EdDSA'];

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicJwk: JWK;
}

const KEY_FILE = 'token-key.pem';

/**
 * @example
 * const key = await loadSigningKey({ tokenKey: process.env.NOCKER_TOKEN_KEY, dataDir: '.nocker' });
 */
export async function loadSigningKey(options: { tokenKey?: string; dataDir: string }): Promise<SigningKey> {
  const pem = options.tokenKey ? await readGivenKey(options.tokenKey) : await readOrCreateKeyFile(options.dataDir);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`the token signing key is not a PEM private key: ${(err as Error).message}`);
  }
  const alg = algorithmOf(privateKey);
  const publicJwk = { ...(await exportJWK(createPublicKey(privateKey))), alg, use: 'sig' };
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid } };
}

function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`the token signing key must be ECDSA P-256 (ES256) or Ed25519 (EdDSA), not ${key.asymmetricKeyType ?? 'unknown'}`);
}

async function readGivenKey(value: string): Promise<string> {
  if (value.includes('-----BEGIN')) return value;
  try {
    return await readFile(value, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the token signing key file ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The key file in the data dir, created exclusively so that two starts never keep different keys. */
async function readOrCreateKeyFile(dataDir: string): Promise<string> {
  const path = join(dataDir, KEY_FILE);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const pem = await exportPKCS8(privateKey);
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFile(path, 'utf8');
    throw err;
  }
}

/** A public key in a form jose verifies with. */
export type VerifyKey = CryptoKey | KeyObject | Uint8Array;

/** Public keys by kid: this replica's and, looked up on first use, the other replicas'. */
export class VerificationKeys {
  private readonly known = new Map<string, VerifyKey>();

  constructor(
    private readonly db: Database,
    private readonly own: SigningKey,
  ) {
    this.known.set(own.kid, createPublicKey(own.privateKey));
  }

  /** Publishes this replica's public key. */
  async publish(): Promise<void> {
    await this.db.insert(tokenKeys).values({ kid: this.own.kid, publicJwk: this.own.publicJwk as Record<string, unknown> }).onConflictDoNothing();
  }

  /** The public key for `kid`, or undefined when no replica ever published it. */
  async get(kid: string): Promise<VerifyKey | undefined> {
    const cached = this.known.get(kid);
    if (cached) return cached;
    const [row] = await this.db.select({ jwk: tokenKeys.publicJwk }).from(tokenKeys).where(eq(tokenKeys.kid, kid));
    if (!row) return undefined;
    const jwk = row.jwk as JWK;
    const key: VerifyKey = await importJWK(jwk, jwk.alg);
    this.known.set(kid, key);
    return key;
  }

  /** Every published key, for the JWKS endpoint. */
  async all(): Promise<JWK[]> {
    const rows = await this.db.select({ jwk: tokenKeys.publicJwk }).from(tokenKeys);
    return rows.map((row) => row.jwk as JWK);
  }
}
