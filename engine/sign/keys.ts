/**
 * Signing keys: making an ECDSA P-256 key pair, and reading the PEM keys that sign (P-256 only)
 * and verify (P-256, P-384, Ed25519, RSA ≥ 2048 bits). Only node:crypto is used.
 *
 * cosign's own encrypted key files ("ENCRYPTED SIGSTORE PRIVATE KEY") are refused with an
 * explanation: they are sealed with NaCl secretbox (XSalsa20-Poly1305), which node:crypto lacks.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The environment variable holding the passphrase of an encrypted private key. */
export const KEY_PASSWORD_VARIABLE = 'NOCKER_KEY_PASSWORD';

/** A key that cannot be read or is not one Nocker signs or verifies with; the message says why. */
export class SigningKeyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}

/** A freshly made key pair, both halves PEM text. */
export interface SigningKeyPair {
  /** PKCS#8 ("PRIVATE KEY"), or encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY") with a passphrase. */
  privateKeyPem: string;
  /** SPKI ("PUBLIC KEY"), as cosign's .pub files are. */
  publicKeyPem: string;
}

/**
 * Makes an ECDSA P-256 key pair. With a non-empty `passphrase` the private key is encrypted
 * PKCS#8 (AES-256-CBC, key derived by OpenSSL's PBKDF2).
 */
export function generateSigningKeyPair(passphrase?: string): SigningKeyPair {
  const encryption = passphrase ? { cipher: 'aes-256-cbc', passphrase } : {};
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', ...encryption },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** One `-----BEGIN LABEL-----` … `-----END LABEL-----` block of a PEM text. */
interface PemBlock {
  label: string;
  text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

function pemBlocks(pem: string): PemBlock[] {
  return [...pem.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1] ?? '', text: match[0] }));
}

/** Private key blocks node:crypto reads: PKCS#8, encrypted PKCS#8, SEC1 and PKCS#1 (RSA, refused later by type). */
const READABLE_PRIVATE_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

/** What cosign writes (older versions say COSIGN), sealed with NaCl secretbox. */
const COSIGN_PRIVATE_LABELS = new Set(['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY']);

/** PKCS#8 says so in its label; SEC1 and PKCS#1 in a `Proc-Type` header. */
function isEncrypted(block: PemBlock): boolean {
  return block.label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(block.text);
}

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** The key's type and size in words, for errors: "an RSA key of 2048 bits", "an EC P-384 key". */
function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return `an EC ${CURVE_NAMES[details.namedCurve ?? ''] ?? details.namedCurve ?? ''} key`;
    case 'rsa':
      return `an RSA key of ${details.modulusLength ?? '?'} bits`;
    case 'ed25519':
      return 'an Ed25519 key';
    default:
      return `a ${key.asymmetricKeyType ?? 'symmetric'} key`;
  }
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** The keys signatures can be checked with. */
function isVerifiable(key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return details.namedCurve === 'prime256v1' || details.namedCurve === 'secp384r1';
    case 'ed25519':
      return true;
    case 'rsa':
      return (details.modulusLength ?? 0) >= 2048;
    default:
      return false;
  }
}

function labelsOf(blocks: PemBlock[]): string {
  return blocks.map((block) => `"${block.label}"`).join(', ');
}

/** The private key block of `pem`, or an error saying what the text holds instead. */
function privateKeyBlock(pem: string, source: string): PemBlock {
  const blocks = pemBlocks(pem);
  if (blocks.some((block) => COSIGN_PRIVATE_LABELS.has(block.label))) {
    throw new SigningKeyError(
      `${source} is in cosign's encrypted key format, which is not supported (it needs NaCl secretbox, which node:crypto lacks): ` +
        'use a PEM key from "nocker key generate" instead (cosign import-key-pair can bring that key into cosign)',
    );
  }
  const block = blocks.find((candidate) => READABLE_PRIVATE_LABELS.has(candidate.label));
  if (block) return block;
  if (blocks.length === 0) throw new SigningKeyError(`${source} is not a PEM private key (no "-----BEGIN PRIVATE KEY-----" line)`);
  if (blocks.some((candidate) => candidate.label === 'PUBLIC KEY')) throw new SigningKeyError(`${source} is a public key: signing needs the private key`);
  throw new SigningKeyError(`${source} holds ${labelsOf(blocks)}: give a PKCS#8 ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY") or SEC1 ("EC PRIVATE KEY") key`);
}

/** node:crypto's reading of a private key block, its failures reworded. */
function parsePrivateKey(block: PemBlock, passphrase: string | undefined, source: string): KeyObject {
  const encrypted = isEncrypted(block);
  // Without a passphrase OpenSSL would fail with "interrupted or cancelled": say what is missing.
  if (encrypted && passphrase === undefined) throw new SigningKeyError(`${source} is encrypted: set ${KEY_PASSWORD_VARIABLE}`);
  try {
    return createPrivateKey({ key: block.text, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch (err) {
    // A wrong passphrase fails in more than one way (bad decrypt, or garbage that is not ASN.1).
    if (encrypted) throw new SigningKeyError(`wrong passphrase for ${source}`, { cause: err });
    throw new SigningKeyError(`cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads the private key that signs: PKCS#8, encrypted PKCS#8 or SEC1 PEM (other blocks in the
 * text, such as openssl's "EC PARAMETERS", are skipped). It must be ECDSA P-256. `passphrase`
 * opens an encrypted key (empty counts as none); `source` names the key in errors.
 */
export function loadPrivateKey(pem: string, passphrase?: string, source = 'the key'): KeyObject {
  const key = parsePrivateKey(privateKeyBlock(pem, source), passphrase === '' ? undefined : passphrase, source);
  if (!isP256(key)) throw new SigningKeyError(`${source} is ${describeKey(key)}: signing needs an ECDSA P-256 key (make one with "nocker key generate")`);
  return key;
}

/** The SPKI block of `pem`, or an error saying what the text holds instead. */
function publicKeyBlock(pem: string, source: string): PemBlock {
  const blocks = pemBlocks(pem);
  const block = blocks.find((candidate) => candidate.label === 'PUBLIC KEY');
  if (block) return block;
  if (blocks.length === 0) throw new SigningKeyError(`${source} is not a PEM public key (no "-----BEGIN PUBLIC KEY-----" line)`);
  if (blocks.some((candidate) => candidate.label === 'CERTIFICATE')) throw new SigningKeyError(`${source} is a certificate: give the public key ("-----BEGIN PUBLIC KEY-----")`);
  if (blocks.some((candidate) => candidate.label.endsWith('PRIVATE KEY'))) throw new SigningKeyError(`${source} is a private key: give the public key (the .pub file)`);
  throw new SigningKeyError(`${source} holds ${labelsOf(blocks)}: give an SPKI public key ("-----BEGIN PUBLIC KEY-----")`);
}

/**
 * Reads a public key that verifies: SPKI PEM ("PUBLIC KEY", as cosign's .pub) holding ECDSA
 * P-256 or P-384, Ed25519, or RSA of at least 2048 bits. Certificates and private keys are
 * refused. `source` names the key in errors.
 */
export function loadPublicKey(pem: string, source = 'the public key'): KeyObject {
  const block = publicKeyBlock(pem, source);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.text, format: 'pem' });
  } catch (err) {
    throw new SigningKeyError(`cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  if (!isVerifiable(key)) throw new SigningKeyError(`${source} is ${describeKey(key)}: nocker verifies ECDSA P-256 and P-384, Ed25519, and RSA keys of 2048 bits or more`);
  return key;
}

/**
 * A stable hint naming a key pair: the hex SHA-256 of the public key's DER SPKI bytes. A private
 * key gives the id of its public half.
 */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** The passphrase `NOCKER_KEY_PASSWORD` gives, when set and not empty. */
export function keyPassphrase(env: Record<string, string | undefined>): string | undefined {
  const value = env[KEY_PASSWORD_VARIABLE];
  return value === undefined || value === '' ? undefined : value;
}

/** Reads the signing key at `path`, opened with `NOCKER_KEY_PASSWORD` when it is encrypted. */
export async function readPrivateKeyFile(path: string, env: Record<string, string | undefined>): Promise<KeyObject> {
  return loadPrivateKey(await readFile(path, 'utf8'), keyPassphrase(env), path);
}

/** Reads the verifying key at `path`. */
export async function readPublicKeyFile(path: string): Promise<KeyObject> {
  return loadPublicKey(await readFile(path, 'utf8'), path);
}
