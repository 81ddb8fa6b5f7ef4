/**
 * Access control, part 1: the token handshake. Challenges without credentials, what `/token`
 * issues, the tokens `/v2` must refuse (foreign key, `alg: none`, tampered, another audience,
 * another repository, more than was granted), JWKS, and anonymous pulls through a token.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { useTestHub } from './harness.ts';
import { ADMIN_AUTHORIZATION, basicAuth, bodyBytes, expectError, http, pushImage, TEST_ADMIN, uniqueRepo } from './helpers.ts';
import {
  accessOf,
  bearer,
  createNamespace,
  createRobot,
  createUser,
  expectChallenge,
  expectNothingOf,
  getManifestAs,
  getToken,
  httpAs,
  member,
  newImage,
  parseBearerChallenge,
  postToken,
  pushImageAs,
  rawRequestAs,
  requestToken,
  serviceOf,
  uniqueName,
  type Image,
} from './auth-helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

/** A private namespace holding one image `<ns>/app:v1`, pushed by the administrator. */
async function privateImage(): Promise<{ namespace: string; repo: string; image: Image }> {
  const namespace = await createNamespace(base, { visibility: 'private' });
  const repo = `${namespace}/app`;
  const image = await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
  return { namespace, repo, image };
}

/** The base64url JSON of a JWT part. */
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Asserts the response is the `invalid_token` 401 and reveals nothing of `image`. */
async function expectInvalidToken(res: Response, image: Image): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(401);
  expect(parseBearerChallenge(res.headers.get('www-authenticate'))?.error).toBe('invalid_token');
  expectNothingOf(image, text, res.headers);
}

describe('challenges without credentials', () => {
  it('GET /v2/ answers 401 with a Bearer challenge naming this Hub as realm and service', async () => {
    const res = await http(base, '/v2/', { anonymous: true });
    const challenge = await expectChallenge(res);
    expect(challenge.realm).toBe(`${base}/token`);
    expect(challenge.service).toBe(serviceOf(base));
    expect(challenge.scope).toBeUndefined();
  });

  it('GET /v2/ answers 200 to Basic credentials', async () => {
    expect((await http(base, '/v2/')).status).toBe(200);
  });

  it('a pull asks for repository:NAME:pull, a push for pull,push, a delete for delete', async () => {
    const repo = uniqueRepo('challenge');
    const pull = await expectChallenge(await getManifestAs(base, undefined, repo, 'v1'));
    expect(pull.scope).toBe(`repository:${repo}:pull`);
    const push = await expectChallenge(await httpAs(base, undefined, `/v2/${repo}/blobs/uploads/`, { method: 'POST' }));
    expect(push.scope).toBe(`repository:${repo}:pull,push`);
    const del = await expectChallenge(await httpAs(base, undefined, `/v2/${repo}/manifests/v1`, { method: 'DELETE' }));
    expect(del.scope).toBe(`repository:${repo}:delete`);
    for (const c of [pull, push, del]) expect(c.realm).toBe(`${base}/token`);
  });

  it('the catalog asks for registry:catalog:*', async () => {
    const challenge = await expectChallenge(await http(base, '/v2/_catalog', { anonymous: true }));
    expect(challenge.scope).toBe('registry:catalog:*');
  });
});

describe('the token endpoint', () => {
  it('issues an ES256 JWT with kid, issuer, audience, subject, expiry, id and the granted access', async () => {
    const repo = uniqueRepo('claims');
    const res = await getToken(base, { authorization: ADMIN_AUTHORIZATION, scopes: [`repository:${repo}:pull,push`] });
    expect(res.access_token).toBe(res.token);
    expect(res.expires_in).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(res.issued_at))).toBe(false);
    expect(res.scope).toBe(`repository:${repo}:pull,push`);
    expect(res.refresh_token).toBeUndefined();

    const header = decodeProtectedHeader(res.token);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toBeTruthy();
    const claims = decodeJwt(res.token);
    expect(claims.iss).toBe('nocker-hub');
    expect(claims.aud).toBe(serviceOf(base));
    expect(claims.sub).toBe(TEST_ADMIN.username);
    expect(claims.jti).toBeTruthy();
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(claims.access).toEqual([{ type: 'repository', name: repo, actions: ['pull', 'push'] }]);
  });

  it('issues an anonymous token without credentials, and no refresh token even when asked', async () => {
    const res = await getToken(base, { offline: true, scopes: ['repository:nobody/app:pull'] });
    expect(decodeJwt(res.token).sub).toBe('anonymous');
    expect(res.refresh_token).toBeUndefined();
    expect(res.scope).toBe('');
  });

  it('refuses bad credentials with 401, in the same words for an unknown name and a wrong password', async () => {
    const user = await createUser(base);
    const wrongPassword = await requestToken(base, { authorization: basicAuth(user.name, 'not-the-password') });
    const unknownName = await requestToken(base, { authorization: basicAuth(uniqueName('ghost'), 'not-the-password') });
    const a = await expectError(wrongPassword, 401, ['UNAUTHORIZED']);
    const b = await expectError(unknownName, 401, ['UNAUTHORIZED']);
    expect(a.errors[0]?.message).toBe(b.errors[0]?.message);
  });

  it('POST grant_type=password issues a token, and a refresh token with access_type=offline', async () => {
    const user = await createUser(base);
    const res = await postToken(base, {
      grant_type: 'password',
      username: user.name,
      password: user.password,
      service: serviceOf(base),
      scope: `repository:${user.name}/app:pull,push`,
      access_type: 'offline',
      client_id: 'test',
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as { access_token: string; refresh_token?: string; scope: string };
    expect(body.scope).toBe(`repository:${user.name}/app:pull,push`);
    expect(body.refresh_token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(decodeJwt(body.access_token).sub).toBe(user.name);
  });

  it('POST grant_type=password with a wrong password is 401 and issues nothing', async () => {
    const user = await createUser(base);
    const res = await postToken(base, { grant_type: 'password', username: user.name, password: 'wrong-password', service: serviceOf(base) });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).not.toContain('token"');
  });

  it('refuses to issue a token for another service', async () => {
    const res = await requestToken(base, { authorization: ADMIN_AUTHORIZATION, service: 'registry.example.com', scopes: ['repository:x/y:pull'] });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await res.text()).not.toContain('access_token');
  });

  it('publishes the kid of its tokens in /.well-known/jwks.json, and the key verifies them', async () => {
    const { token } = await getToken(base, { authorization: ADMIN_AUTHORIZATION });
    const res = await http(base, '/.well-known/jwks.json', { anonymous: true });
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: JWK[] };
    const kid = decodeProtectedHeader(token).kid;
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    for (const key of jwks.keys) expect(key.d, 'the JWKS holds no private key material').toBeUndefined();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'nocker-hub', audience: serviceOf(base) });
    expect(payload.sub).toBe(TEST_ADMIN.username);
  });
});

describe('tokens /v2 must refuse', () => {
  it('no token at all: a private manifest answers 401 with a challenge', async () => {
    const { repo, image } = await privateImage();
    const res = await getManifestAs(base, undefined, repo, 'v1');
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(parseBearerChallenge(res.headers.get('www-authenticate'))?.scope).toBe(`repository:${repo}:pull`);
    expectNothingOf(image, text, res.headers);
  });

  it('a token signed with another key under the same kid and claims is invalid_token', async () => {
    const { repo, image } = await privateImage();
    const real = await getToken(base, { authorization: ADMIN_AUTHORIZATION, scopes: [`repository:${repo}:pull`] });
    expect((await getManifestAs(base, bearer(real.token), repo, 'v1')).status).toBe(200);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(decodeJwt(real.token)).setProtectedHeader(decodeProtectedHeader(real.token) as { alg: string }).sign(privateKey);
    await expectInvalidToken(await getManifestAs(base, bearer(forged), repo, 'v1'), image);
  });

  it('a token signed with a key the Hub never published is invalid_token', async () => {
    const { repo, image } = await privateImage();
    const real = await getToken(base, { authorization: ADMIN_AUTHORIZATION, scopes: [`repository:${repo}:pull`] });
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(decodeJwt(real.token)).setProtectedHeader({ alg: 'ES256', kid: 'someone-elses-key' }).sign(privateKey);
    await expectInvalidToken(await getManifestAs(base, bearer(forged), repo, 'v1'), image);
  });

  it('an unsigned token (alg: none) is invalid_token', async () => {
    const { repo, image } = await privateImage();
    const real = await getToken(base, { authorization: ADMIN_AUTHORIZATION, scopes: [`repository:${repo}:pull`] });
    const header = { ...decodeProtectedHeader(real.token), alg: 'none' };
    for (const unsigned of [`${part(header)}.${part(decodeJwt(real.token))}.`, `${part(header)}.${part(decodeJwt(real.token))}`]) {
      await expectInvalidToken(await getManifestAs(base, bearer(unsigned), repo, 'v1'), image);
    }
  });

  it('a token whose payload was changed after signing is invalid_token', async () => {
    const { namespace, repo, image } = await privateImage();
    const user = await createUser(base);
    // The user's own token, for their own namespace, rewritten to claim the private repository.
    const own = await getToken(base, { authorization: user.authorization, scopes: [`repository:${user.name}/app:pull`] });
    const [header, , signature] = own.token.split('.');
    const claims = { ...decodeJwt(own.token), access: [{ type: 'repository', name: repo, actions: ['pull', 'push', 'delete'] }] };
    const tampered = `${header}.${part(claims)}.${signature}`;
    await expectInvalidToken(await getManifestAs(base, bearer(tampered), repo, 'v1'), image);
    const asAdmin = `${header}.${part({ ...claims, sub: TEST_ADMIN.username })}.${signature}`;
    await expectInvalidToken(await getManifestAs(base, bearer(asAdmin), `${namespace}/app`, 'v1'), image);
  });

  it('a token MACed with HS256 over the published public key (algorithm confusion) is invalid_token', async () => {
    const { repo, image } = await privateImage();
    const real = await getToken(base, { authorization: ADMIN_AUTHORIZATION, scopes: [`repository:${repo}:pull`] });
    const jwks = (await (await http(base, '/.well-known/jwks.json', { anonymous: true })).json()) as { keys: JWK[] };
    const kid = decodeProtectedHeader(real.token).kid;
    const jwk = jwks.keys.find((k) => k.kid === kid);
    const signingInput = `${part({ alg: 'HS256', kid, typ: 'JWT' })}.${part(decodeJwt(real.token))}`;
    for (const secret of [JSON.stringify(jwk), jwk?.x ?? '']) {
      const mac = createHmac('sha256', secret).update(signingInput).digest('base64url');
      await expectInvalidToken(await getManifestAs(base, bearer(`${signingInput}.${mac}`), repo, 'v1'), image);
    }
  });

  it('a bearer value that is not a JWT is invalid_token', async () => {
    const { repo, image } = await privateImage();
    await expectInvalidToken(await getManifestAs(base, bearer('not-a-token'), repo, 'v1'), image);
  });

  it('a token the Hub issued for another service (audience) is invalid_token', async () => {
    const { repo, image } = await privateImage();
    // The Hub names its service after the Host header: ask it under another name.
    const other = 'registry.example.com:5000';
    const res = await rawRequestAs(base, 'GET', `/token?service=${other}&scope=repository:${repo}:pull`, {
      host: other,
      authorization: ADMIN_AUTHORIZATION,
    });
    expect(res.status, res.body.toString()).toBe(200);
    const { token } = JSON.parse(res.body.toString()) as { token: string };
    expect(decodeJwt(token).aud).toBe(other);
    await expectInvalidToken(await getManifestAs(base, bearer(token), repo, 'v1'), image);
  });

  it('a token for repository A does not open repository B: 401 insufficient_scope where the account may, 403 where it may not', async () => {
    const namespace = await createNamespace(base);
    const a = `${namespace}/a`;
    const b = `${namespace}/b`;
    await pushImageAs(base, ADMIN_AUTHORIZATION, a, 'v1');
    const imageB = await pushImageAs(base, ADMIN_AUTHORIZATION, b, 'v1');
    const { image: secret, repo: secretRepo } = await privateImage();
    // A robot's permissions do not depend on namespace roles: it may pull and push all of the namespace.
    const robot = await createRobot(base, [{ repository: `${namespace}/*`, actions: ['pull', 'push'] }]);
    const { token } = await getToken(base, { authorization: robot.authorization, scopes: [`repository:${a}:pull,push`] });
    expect((await getManifestAs(base, bearer(token), a, 'v1')).status).toBe(200);

    const onB = await getManifestAs(base, bearer(token), b, 'v1');
    const challenge = parseBearerChallenge(onB.headers.get('www-authenticate'));
    expectNothingOf(imageB, await onB.text(), onB.headers);
    expect(onB.status).toBe(401);
    expect(challenge?.error).toBe('insufficient_scope');
    expect(challenge?.scope).toBe(`repository:${b}:pull`);
    const pushB = await httpAs(base, bearer(token), `/v2/${b}/blobs/uploads/`, { method: 'POST' });
    expect(pushB.status).toBe(401);
    expect(parseBearerChallenge(pushB.headers.get('www-authenticate'))?.scope).toBe(`repository:${b}:pull,push`);

    const onSecret = await getManifestAs(base, bearer(token), secretRepo, 'v1');
    expectNothingOf(secret, await onSecret.text(), onSecret.headers);
    expect(onSecret.status).toBe(403);
  });

  it('asking for more than the account may (a reader asking for push) grants only what it may, and the push is refused', async () => {
    const namespace = await createNamespace(base);
    const reader = await member(base, namespace, 'reader');
    const repo = `${namespace}/app`;
    await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
    const granted = await getToken(base, { authorization: reader.authorization, scopes: [`repository:${repo}:pull,push,delete`, `repository:${repo}:*`] });
    expect(granted.scope).not.toMatch(/push|delete/);
    for (const entry of accessOf(granted.token)) expect(entry.actions).toEqual(['pull']);
    expect((await getManifestAs(base, bearer(granted.token), repo, 'v1')).status).toBe(200);

    const push = await httpAs(base, bearer(granted.token), `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await expectError(push, 403, ['DENIED']);
    const image = newImage();
    const manifestPut = await httpAs(base, bearer(granted.token), `/v2/${repo}/manifests/v1`, {
      method: 'PUT',
      body: image.manifest.bytes,
      headers: { 'content-type': image.manifest.mediaType },
    });
    await expectError(manifestPut, 403, ['DENIED']);
    const still = await getManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
    expect((await bodyBytes(still)).toString()).not.toBe(image.manifest.bytes.toString());
  });

  it('a scope that is not a repository name (dot segments, upper case) is not granted', async () => {
    const user = await createUser(base);
    const { scope, token } = await getToken(base, {
      authorization: user.authorization,
      scopes: [`repository:${user.name}/../other/app:pull`, `repository:${user.name.toUpperCase()}/app:pull`, `repository:/${user.name}/app:pull`],
    });
    expect(scope).toBe('');
    expect(accessOf(token)).toEqual([]);
  });
});

describe('anonymous pull of a public repository through an anonymous token', () => {
  it('follows the /v2/ challenge to an anonymous token and pulls the manifest and blobs with it', async () => {
    const namespace = await createNamespace(base, { visibility: 'public' });
    const repo = `${namespace}/app`;
    const pushed = await pushImage(base, repo, 'v1');

    const challenge = await expectChallenge(await http(base, '/v2/', { anonymous: true }));
    const realm = new URL(challenge.realm ?? '');
    realm.searchParams.set('service', challenge.service ?? '');
    realm.searchParams.set('scope', `repository:${repo}:pull`);
    const tokenRes = await fetch(realm);
    expect(tokenRes.status).toBe(200);
    const { token, scope } = (await tokenRes.json()) as { token: string; scope: string };
    expect(scope).toBe(`repository:${repo}:pull`);
    expect(decodeJwt(token).sub).toBe('anonymous');

    expect((await httpAs(base, bearer(token), '/v2/')).status).toBe(200);
    const manifest = await getManifestAs(base, bearer(token), repo, 'v1');
    expect(manifest.status).toBe(200);
    expect(await bodyBytes(manifest)).toEqual(pushed.manifest.bytes);
    const layer = await httpAs(base, bearer(token), `/v2/${repo}/blobs/${pushed.layer.descriptor.digest}`);
    expect(layer.status).toBe(200);
    expect(await bodyBytes(layer)).toEqual(pushed.layer.bytes);
    const tags = await httpAs(base, bearer(token), `/v2/${repo}/tags/list`);
    expect(await tags.json()).toEqual({ name: repo, tags: ['v1'] });
  });

  it('a public repository can also be pulled with no credentials at all', async () => {
    const namespace = await createNamespace(base, { visibility: 'public' });
    const repo = `${namespace}/app`;
    const pushed = await pushImage(base, repo, 'v1');
    const manifest = await getManifestAs(base, undefined, repo, 'v1');
    expect(manifest.status).toBe(200);
    expect(await bodyBytes(manifest)).toEqual(pushed.manifest.bytes);
  });

  it('an anonymous token never carries push, and a push with it answers 401', async () => {
    const namespace = await createNamespace(base, { visibility: 'public' });
    const repo = `${namespace}/app`;
    const { token, scope } = await getToken(base, { scopes: [`repository:${repo}:pull,push,delete`] });
    expect(scope).toBe(`repository:${repo}:pull`);
    const push = await httpAs(base, bearer(token), `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(push.status).toBe(401);
    const del = await httpAs(base, bearer(token), `/v2/${repo}/manifests/v1`, { method: 'DELETE' });
    expect(del.status).toBe(401);
  });
});
