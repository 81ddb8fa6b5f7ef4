/**
 * Access control, part 1b: how long credentials last. Refresh tokens (`docker login`'s identity
 * token) until revoked, and access tokens until they expire (on a Hub with a 1 s token lifetime).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createTestEnvironment, startTestHub, useTestHub, type TestHub } from './harness.ts';
import { ADMIN_AUTHORIZATION, uniqueRepo } from './helpers.ts';
import {
  bearer,
  createUser,
  expectNothingOf,
  getManifestAs,
  getToken,
  httpAs,
  parseBearerChallenge,
  postToken,
  pushImageAs,
  serviceOf,
} from './auth-helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

describe('refresh tokens', () => {
  it('a refresh token buys access tokens until it is revoked through DELETE /api/v1/tokens/:id', async () => {
    const user = await createUser(base);
    const repo = `${user.name}/app`;
    await pushImageAs(base, user.authorization, repo, 'v1');
    const login = await getToken(base, { authorization: user.authorization, offline: true });
    const refreshToken = login.refresh_token as string;
    expect(refreshToken).toBeTruthy();

    const refresh = () => postToken(base, { grant_type: 'refresh_token', refresh_token: refreshToken, service: serviceOf(base), scope: `repository:${repo}:pull` });
    const first = await refresh();
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    expect(decodeJwt(access_token).sub).toBe(user.name);
    expect((await getManifestAs(base, bearer(access_token), repo, 'v1')).status).toBe(200);

    const list = await httpAs(base, user.authorization, '/api/v1/tokens');
    const { tokens } = (await list.json()) as { tokens: { id: string }[] };
    const id = refreshToken.split('.')[0] as string;
    expect(tokens.map((t) => t.id)).toContain(id);

    // Someone else cannot revoke it.
    const stranger = await createUser(base);
    expect((await httpAs(base, stranger.authorization, `/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await refresh()).status).toBe(200);

    expect((await httpAs(base, user.authorization, `/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await refresh();
    expect(after.status).toBe(401);
    expect(await after.text()).not.toContain('access_token');
  });

  it('a refresh token with a wrong secret is refused', async () => {
    const user = await createUser(base);
    const { refresh_token } = await getToken(base, { authorization: user.authorization, offline: true });
    const [id] = (refresh_token as string).split('.');
    const res = await postToken(base, { grant_type: 'refresh_token', refresh_token: `${id}.${'A'.repeat(43)}`, service: serviceOf(base) });
    expect(res.status).toBe(401);
  });
});

describe('token expiry', () => {
  let shortLived: TestHub;
  beforeAll(async () => {
    const environment = await createTestEnvironment();
    shortLived = await startTestHub({ environment, config: { auth: { ...environment.config.auth, tokenTtlSeconds: 1 } } });
  });
  afterAll(async () => {
    await shortLived?.destroy();
  });

  it('a token that worked is invalid_token once it has expired', async () => {
    const url = shortLived.url;
    const repo = uniqueRepo('expiry');
    const image = await pushImageAs(url, ADMIN_AUTHORIZATION, repo, 'v1');
    // Expiry is in whole seconds: start right after a second begins, so the token lives ~1 s.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
    const { token, expires_in } = await getToken(url, { authorization: ADMIN_AUTHORIZATION, scopes: [`repository:${repo}:pull`] });
    expect(expires_in).toBeLessThanOrEqual(1);
    expect((await getManifestAs(url, bearer(token), repo, 'v1')).status).toBe(200);
    const exp = decodeJwt(token).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 100));
    const res = await getManifestAs(url, bearer(token), repo, 'v1');
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(parseBearerChallenge(res.headers.get('www-authenticate'))?.error).toBe('invalid_token');
    expectNothingOf(image, text, res.headers);
  });
});
