import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey, type SigningKey } from './keys.ts';
import { InvalidTokenError, TOKEN_ISSUER, TokenService, type KeyLookup } from './tokens.ts';

const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

describe('TokenService', () => {
  let dir: string;
  let key: SigningKey;
  let other: SigningKey;
  let keys: KeyLookup;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocker-tokens-'));
    key = await loadSigningKey({ dataDir: join(dir, 'a') });
    other = await loadSigningKey({ dataDir: join(dir, 'b') });
    const published = new Map([[key.kid, createPublicKey(key.privateKey)]]);
    keys = { get: async (kid) => published.get(kid) };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a token in the form of the Docker token specification and verifies it', async () => {
    const tokens = new TokenService(key, keys, 300);
    const issued = await tokens.issue({ subject: 'ann', kind: 'user', access, audience: 'hub.local' });
    expect(issued.expiresIn).toBe(300);
    expect(decodeProtectedHeader(issued.token)).toMatchObject({ alg: 'ES256', kid: key.kid, typ: 'JWT' });
    const payload = decodeJwt(issued.token);
    expect(payload).toMatchObject({ iss: TOKEN_ISSUER, sub: 'ann', aud: 'hub.local', access });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(await tokens.verify(issued.token, 'hub.local')).toMatchObject({ subject: 'ann', kind: 'user', access });
  });

  it('never lets a token outlive the robot it was issued to', async () => {
    const tokens = new TokenService(key, keys, 300);
    const issued = await tokens.issue({ subject: 'robot$ci', kind: 'robot', access, audience: 'hub.local', notAfter: new Date(Date.now() + 60_000) });
    expect(issued.expiresIn).toBeLessThanOrEqual(60);
  });

  it('refuses another audience, an expired token, a foreign key and a forged signature', async () => {
    const tokens = new TokenService(key, keys, 300);
    const { token } = await tokens.issue({ subject: 'ann', kind: 'user', access, audience: 'hub.local' });
    await expect(tokens.verify(token, 'elsewhere')).rejects.toThrow(/aud claim/);

    const expired = await new TokenService(key, keys, 1).issue({ subject: 'ann', kind: 'user', access, audience: 'hub.local', notAfter: new Date(Date.now() - 1000) });
    await expect(tokens.verify(expired.token, 'hub.local')).rejects.toThrow(/expired/);

    const foreign = await new TokenService(other, keys, 300).issue({ subject: 'ann', kind: 'user', access, audience: 'hub.local' });
    await expect(tokens.verify(foreign.token, 'hub.local')).rejects.toThrow(/not signed by this Hub/);

    const forged = await new SignJWT({ access, kind: 'user' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(TOKEN_ISSUER)
      .setSubject('ann')
      .setAudience('hub.local')
      .setExpirationTime('5m')
      .setJti('x')
      .sign(other.privateKey);
    await expect(tokens.verify(forged, 'hub.local')).rejects.toThrow(/signature does not verify/);

    const [header, , signature] = token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), access: [{ type: 'repository', name: '*', actions: ['*'] }] })).toString('base64url')}.${signature}`;
    await expect(tokens.verify(tampered, 'hub.local')).rejects.toBeInstanceOf(InvalidTokenError);

    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url')}.${token.split('.')[1]}.`;
    await expect(tokens.verify(unsigned, 'hub.local')).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
