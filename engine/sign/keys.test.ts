import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, keyId, keyPassphrase, loadPrivateKey, loadPublicKey, readPrivateKeyFile, readPublicKeyFile, SigningKeyError } from './keys.ts';

const MESSAGE = Buffer.from('a manifest digest to sign');

/** True when what `privateKey` signs, `publicKey` verifies: the two are halves of one pair. */
function pairMatches(privateKey: KeyObject, publicKey: KeyObject): boolean {
  return verify('sha256', MESSAGE, publicKey, sign('sha256', MESSAGE, privateKey));
}

const plain = generateSigningKeyPair();
const encrypted = generateSigningKeyPair('correct horse');
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** `key` as unencrypted PEM of the given type. */
function pemOf(key: KeyObject, type: 'pkcs8' | 'sec1' | 'pkcs1' | 'spki'): string {
  return key.export({ type, format: 'pem' }).toString();
}

describe('generateSigningKeyPair', () => {
  it('makes PKCS#8 and SPKI PEM of a P-256 pair that signs and verifies', () => {
    expect(plain.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(plain.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const privateKey = loadPrivateKey(plain.privateKeyPem);
    expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(pairMatches(privateKey, loadPublicKey(plain.publicKeyPem))).toBe(true);
  });

  it('encrypts the private key with a passphrase', () => {
    expect(encrypted.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(pairMatches(loadPrivateKey(encrypted.privateKeyPem, 'correct horse'), loadPublicKey(encrypted.publicKeyPem))).toBe(true);
  });

  it('does not encrypt with an empty passphrase', () => {
    expect(generateSigningKeyPair('').privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('makes a different pair each time', () => {
    expect(generateSigningKeyPair().publicKeyPem).not.toBe(plain.publicKeyPem);
  });
});

describe('loadPrivateKey', () => {
  it('asks for NOCKER_KEY_PASSWORD when an encrypted key comes without a passphrase', () => {
    expect(() => loadPrivateKey(encrypted.privateKeyPem)).toThrow(new SigningKeyError('the key is encrypted: set NOCKER_KEY_PASSWORD'));
    expect(() => loadPrivateKey(encrypted.privateKeyPem, '')).toThrow('the key is encrypted: set NOCKER_KEY_PASSWORD');
  });

  it('says the passphrase is wrong, naming the key', () => {
    expect(() => loadPrivateKey(encrypted.privateKeyPem, 'wrong', 'signing.key')).toThrow(new SigningKeyError('wrong passphrase for signing.key'));
  });

  it('ignores a passphrase given for a key that is not encrypted', () => {
    expect(pairMatches(loadPrivateKey(plain.privateKeyPem, 'unused'), loadPublicKey(plain.publicKeyPem))).toBe(true);
  });

  it('accepts SEC1 ("EC PRIVATE KEY"), plain or encrypted, and skips openssl\'s EC PARAMETERS block', () => {
    const sec1 = pemOf(p256.privateKey, 'sec1');
    const parameters = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    expect(pairMatches(loadPrivateKey(parameters + sec1), p256.publicKey)).toBe(true);
    const sealed = p256.privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    expect(pairMatches(loadPrivateKey(sealed, 'pw'), p256.publicKey)).toBe(true);
    expect(() => loadPrivateKey(sealed)).toThrow('is encrypted');
    expect(() => loadPrivateKey(sealed, 'nope')).toThrow('wrong passphrase');
  });

  it('refuses keys other than P-256, naming what it got', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => loadPrivateKey(pemOf(rsa, 'pkcs8'))).toThrow(/the key is an RSA key of 2048 bits: signing needs an ECDSA P-256 key/);
    expect(() => loadPrivateKey(pemOf(rsa, 'pkcs1'))).toThrow('an RSA key of 2048 bits');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    expect(() => loadPrivateKey(pemOf(p384, 'pkcs8'))).toThrow('is an EC P-384 key');
    const ed25519 = generateKeyPairSync('ed25519').privateKey;
    expect(() => loadPrivateKey(pemOf(ed25519, 'pkcs8'))).toThrow('is an Ed25519 key');
  });

  it('explains that cosign\'s encrypted key format is not supported', () => {
    const cosignKey = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from('{"kdf":{"name":"scrypt"}}').toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
    expect(() => loadPrivateKey(cosignKey, 'pw', 'cosign.key')).toThrow(/^cosign\.key is in cosign's encrypted key format, which is not supported .*nocker key generate/);
  });

  it('says what it got instead of a private key', () => {
    expect(() => loadPrivateKey(plain.publicKeyPem)).toThrow('the key is a public key: signing needs the private key');
    expect(() => loadPrivateKey('not a key at all')).toThrow('the key is not a PEM private key');
    expect(() => loadPrivateKey('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n')).toThrow('holds "OPENSSH PRIVATE KEY"');
    expect(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow(/^cannot read the key: /);
  });
});

describe('loadPublicKey', () => {
  it('accepts ECDSA P-256 and P-384, Ed25519 and RSA of 2048 bits', () => {
    const keys = [
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ];
    for (const { publicKey } of keys) {
      expect(loadPublicKey(pemOf(publicKey, 'spki')).equals(publicKey)).toBe(true);
    }
  });

  it('refuses weak and unsupported keys, naming what it got', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => loadPublicKey(pemOf(rsa1024, 'spki'), 'old.pub')).toThrow(/^old\.pub is an RSA key of 1024 bits: nocker verifies/);
    const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey;
    expect(() => loadPublicKey(pemOf(p521, 'spki'))).toThrow('is an EC P-521 key');
  });

  it('refuses private keys and text that is no public key', () => {
    expect(() => loadPublicKey(plain.privateKeyPem)).toThrow('the public key is a private key: give the public key (the .pub file)');
    expect(() => loadPublicKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow('is a certificate');
    expect(() => loadPublicKey('')).toThrow('is not a PEM public key');
    expect(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow(/^cannot read the public key: /);
  });
});

describe('keyId', () => {
  it('is the hex SHA-256 of the DER SPKI, the same from either half of the pair', () => {
    const publicKey = loadPublicKey(plain.publicKeyPem);
    const id = keyId(publicKey);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(keyId(loadPrivateKey(plain.privateKeyPem))).toBe(id);
    expect(keyId(createPublicKey(plain.publicKeyPem))).toBe(id);
    expect(keyId(loadPublicKey(encrypted.publicKeyPem))).not.toBe(id);
  });
});

describe('key files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocker-keys-'));
    await writeFile(join(dir, 'signing.key'), encrypted.privateKeyPem);
    await writeFile(join(dir, 'signing.pub'), encrypted.publicKeyPem);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the passphrase from NOCKER_KEY_PASSWORD when set and not empty', () => {
    expect(keyPassphrase({ NOCKER_KEY_PASSWORD: 'secret' })).toBe('secret');
    expect(keyPassphrase({ NOCKER_KEY_PASSWORD: '' })).toBeUndefined();
    expect(keyPassphrase({})).toBeUndefined();
  });

  it('reads a key pair from files, naming the file in errors', async () => {
    const path = join(dir, 'signing.key');
    const privateKey = await readPrivateKeyFile(path, { NOCKER_KEY_PASSWORD: 'correct horse' });
    expect(pairMatches(privateKey, await readPublicKeyFile(join(dir, 'signing.pub')))).toBe(true);
    await expect(readPrivateKeyFile(path, {})).rejects.toThrow(`${path} is encrypted: set NOCKER_KEY_PASSWORD`);
    await expect(readPrivateKeyFile(path, { NOCKER_KEY_PASSWORD: 'wrong' })).rejects.toThrow(`wrong passphrase for ${path}`);
  });
});
