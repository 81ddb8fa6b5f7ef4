import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSigningKey } from './keys.ts';

describe('loadSigningKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocker-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates an ES256 key on first start, keeps it private in the data dir, and reuses it', async () => {
    const first = await loadSigningKey({ dataDir: dir });
    expect(first.alg).toBe('ES256');
    expect(first.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(dir, 'token-key.pem'))).mode & 0o777).toBe(0o600);
    const again = await loadSigningKey({ dataDir: dir });
    expect(again.kid).toBe(first.kid);
    expect(first.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: first.kid });
    expect(first.publicJwk).not.toHaveProperty('d');
  });

  it('takes an Ed25519 key given as PEM text, or as a path to one', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const fromText = await loadSigningKey({ dataDir: dir, tokenKey: pem });
    expect(fromText.alg).toBe('EdDSA');
    await writeFile(join(dir, 'given.pem'), pem);
    expect((await loadSigningKey({ dataDir: dir, tokenKey: join(dir, 'given.pem') })).kid).toBe(fromText.kid);
    await expect(readFile(join(dir, 'token-key.pem'))).rejects.toThrow();
  });

  it('refuses keys it cannot sign tokens with, saying why', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(loadSigningKey({ dataDir: dir, tokenKey: rsa })).rejects.toThrow(/ECDSA P-256 \(ES256\) or Ed25519/);
    await expect(loadSigningKey({ dataDir: dir, tokenKey: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' })).rejects.toThrow(/not a PEM private key/);
    await expect(loadSigningKey({ dataDir: dir, tokenKey: join(dir, 'missing.pem') })).rejects.toThrow(/cannot read the token signing key file .*ENOENT/);
  });
});
