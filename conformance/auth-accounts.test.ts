/**
 * Access control, part 3: accounts and the management API. Robots (the `docker login` flow,
 * confinement, expiry), disabled users, who may manage namespaces, administrator-only endpoints
 * (users, audit, GC) and what the audit log records.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { useTestHub } from './harness.ts';
import { ADMIN_AUTHORIZATION, basicAuth, bodyBytes, expectError, http, TEST_ADMIN } from './helpers.ts';
import {
  auditEntries,
  bearer,
  createNamespace,
  createRobot,
  createUser,
  expectChallenge,
  getManifestAs,
  getToken,
  httpAs,
  LOOPBACK_ADDRESSES,
  member,
  newImage,
  parseBearerChallenge,
  postToken,
  setMember,
  pushImageAs,
  putManifestAs,
  requestToken,
  serviceOf,
  uniqueName,
  type AuditEntry,
} from './auth-helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('robot accounts', () => {
  it('a robot for team/* logs in docker-style (GET /token with Basic) and pushes and pulls with bearer tokens', async () => {
    const team = uniqueName('team');
    const robot = await createRobot(base, [{ repository: `${team}/*`, actions: ['pull', 'push'] }]);
    const repo = `${team}/app`;

    // docker login: the version check's challenge, then a token for no scope at all.
    const challenge = await expectChallenge(await http(base, '/v2/', { anonymous: true }));
    const login = await getToken(base, { authorization: robot.authorization, service: challenge.service });
    expect(decodeJwt(login.token).sub).toBe(robot.name);
    expect((await httpAs(base, bearer(login.token), '/v2/')).status).toBe(200);

    // docker push: the upload's challenge names the scope, the token grants it.
    const pushChallenge = await expectChallenge(await httpAs(base, bearer(login.token), `/v2/${repo}/blobs/uploads/`, { method: 'POST' }));
    expect(pushChallenge.scope).toBe(`repository:${repo}:pull,push`);
    const { token, scope } = await getToken(base, { authorization: robot.authorization, scopes: [pushChallenge.scope as string] });
    expect(scope).toBe(`repository:${repo}:pull,push`);
    const image = await pushImageAs(base, bearer(token), repo, 'v1');

    const pulled = await getManifestAs(base, bearer(token), repo, 'v1');
    expect(pulled.status).toBe(200);
    expect(await bodyBytes(pulled)).toEqual(image.manifest.bytes);
  });

  it('a robot for team/* is granted nothing elsewhere and its pushes there are refused with 403', async () => {
    const team = uniqueName('team');
    const elsewhere = `${uniqueName('other')}/app`;
    const robot = await createRobot(base, [{ repository: `${team}/*`, actions: ['pull', 'push'] }]);
    const { token, scope } = await getToken(base, { authorization: robot.authorization, scopes: [`repository:${elsewhere}:pull,push`, `repository:${team}:pull,push`] });
    expect(scope).toBe('');
    for (const credentials of [bearer(token), robot.authorization]) {
      await expectError(await httpAs(base, credentials, `/v2/${elsewhere}/blobs/uploads/`, { method: 'POST' }), 403, ['DENIED']);
      await expectError(await putManifestAs(base, credentials, elsewhere, 'v1', newImage().manifest), 403, ['DENIED']);
    }
    expect((await getManifestAs(base, ADMIN_AUTHORIZATION, elsewhere, 'v1')).status).toBe(404);
  });

  it('a pull-only robot asking for push gets a token without push, and its push is refused', async () => {
    const team = uniqueName('team');
    const repo = `${team}/app`;
    await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
    const robot = await createRobot(base, [{ repository: `${team}/*`, actions: ['pull'] }]);
    const { token, scope } = await getToken(base, { authorization: robot.authorization, scopes: [`repository:${repo}:pull,push`] });
    expect(scope).toBe(`repository:${repo}:pull`);
    expect((await getManifestAs(base, bearer(token), repo, 'v1')).status).toBe(200);
    await expectError(await httpAs(base, bearer(token), `/v2/${repo}/blobs/uploads/`, { method: 'POST' }), 403, ['DENIED']);
  });

  it('a robot past its expiry can log in neither with Basic nor for a token, and its last token is invalid', async () => {
    const team = uniqueName('team');
    const repo = `${team}/app`;
    await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
    const expiresAt = new Date(Date.now() + 2500);
    const robot = await createRobot(base, [{ repository: `${team}/*`, actions: ['pull'] }], expiresAt);
    expect((await getManifestAs(base, robot.authorization, repo, 'v1')).status).toBe(200);
    const { token } = await getToken(base, { authorization: robot.authorization, scopes: [`repository:${repo}:pull`] });
    expect((decodeJwt(token).exp as number) * 1000).toBeLessThanOrEqual(expiresAt.getTime());
    expect((await getManifestAs(base, bearer(token), repo, 'v1')).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 150));
    await expectError(await getManifestAs(base, robot.authorization, repo, 'v1'), 401, ['UNAUTHORIZED']);
    await expectError(await requestToken(base, { authorization: robot.authorization, scopes: [`repository:${repo}:pull`] }), 401, ['UNAUTHORIZED']);
    const post = await postToken(base, { grant_type: 'password', username: robot.name, password: robot.password, service: serviceOf(base) });
    expect(post.status).toBe(401);
    const stale = await getManifestAs(base, bearer(token), repo, 'v1');
    expect(stale.status).toBe(401);
    expect(parseBearerChallenge(stale.headers.get('www-authenticate'))?.error).toBe('invalid_token');
  });

  it('a user cannot create a robot with access they do not hold', async () => {
    const user = await createUser(base);
    const foreign = await createNamespace(base);
    for (const repository of [`${foreign}/*`, '*']) {
      const res = await httpAs(base, user.authorization, '/api/v1/robots', json('POST', { name: uniqueName('bot'), permissions: [{ repository, actions: ['pull'] }] }));
      await expectError(res, 403, ['DENIED']);
    }
    const own = await httpAs(base, user.authorization, '/api/v1/robots', json('POST', { name: uniqueName('bot'), permissions: [{ repository: `${user.name}/*`, actions: ['pull', 'push'] }] }));
    expect(own.status).toBe(201);
  });
});

describe('robots act for their creators', () => {
  it("a robot loses what its creator loses: a role taken away, then the creator's account", async () => {
    const team = await createNamespace(base);
    const developer = await member(base, team, 'developer');
    const created = await httpAs(base, developer.authorization, '/api/v1/robots', json('POST', { name: uniqueName('bot'), permissions: [{ repository: `${team}/*`, actions: ['pull', 'push'] }] }));
    expect(created.status).toBe(201);
    const { name, secret } = (await created.json()) as { name: string; secret: string };
    const robot = basicAuth(name, secret);
    expect((await httpAs(base, robot, `/v2/${team}/app/blobs/uploads/`, { method: 'POST' })).status).toBe(202);

    await setMember(base, team, developer.name, 'reader');
    await expectError(await httpAs(base, robot, `/v2/${team}/app/blobs/uploads/`, { method: 'POST' }), 403, ['DENIED']);
    const { scope } = await getToken(base, { authorization: robot, scopes: [`repository:${team}/app:pull,push`] });
    expect(scope).toBe(`repository:${team}/app:pull`);

    expect((await http(base, `/api/v1/users/${developer.name}`, { method: 'DELETE' })).status).toBe(204);
    const afterDeletion = await getToken(base, { authorization: robot, scopes: [`repository:${team}/app:pull`] });
    expect(afterDeletion.scope).toBe('');
  });
});

describe('personal namespaces', () => {
  it("nobody else may create a namespace carrying a user's name, and no user is created under a taken namespace name", async () => {
    const ann = await createUser(base);
    const mallory = await createUser(base);
    await expectError(await httpAs(base, mallory.authorization, '/api/v1/namespaces', json('POST', { name: ann.name })), 403, ['DENIED']);
    const squatted = uniqueName('later');
    expect((await httpAs(base, mallory.authorization, '/api/v1/namespaces', json('POST', { name: squatted }))).status).toBe(201);
    await expectError(await http(base, '/api/v1/users', json('POST', { name: squatted, password: 'a long enough password' })), 409, ['CONFLICT']);
  });
});

describe('tokens of accounts that can no longer log in', () => {
  it('an API token stops working once its account is disabled', async () => {
    const user = await createUser(base);
    const { token } = await getToken(base, { authorization: user.authorization, scopes: ['registry:api:*'] });
    expect((await httpAs(base, bearer(token), '/api/v1/me')).status).toBe(200);
    expect((await http(base, `/api/v1/users/${user.name}`, json('PATCH', { disabled: true }))).status).toBe(200);
    const refused = await httpAs(base, bearer(token), '/api/v1/me');
    expect(refused.status).toBe(401);
    expect(parseBearerChallenge(refused.headers.get('www-authenticate'))?.error).toBe('invalid_token');
  });
});

describe('disabled users', () => {
  it('a disabled user can log in neither with Basic, nor for a token, nor with a refresh token', async () => {
    const user = await createUser(base);
    const { refresh_token } = await getToken(base, { authorization: user.authorization, offline: true });
    expect((await httpAs(base, user.authorization, '/v2/')).status).toBe(200);

    const disable = await http(base, `/api/v1/users/${user.name}`, json('PATCH', { disabled: true }));
    expect(disable.status).toBe(200);
    expect(((await disable.json()) as { disabled: boolean }).disabled).toBe(true);

    await expectError(await httpAs(base, user.authorization, '/v2/'), 401, ['UNAUTHORIZED']);
    await expectError(await requestToken(base, { authorization: user.authorization }), 401, ['UNAUTHORIZED']);
    expect((await postToken(base, { grant_type: 'password', username: user.name, password: user.password, service: serviceOf(base) })).status).toBe(401);
    expect((await postToken(base, { grant_type: 'refresh_token', refresh_token: refresh_token as string, service: serviceOf(base) })).status).toBe(401);
  });

  it('a user cannot disable or promote accounts, their own included', async () => {
    const user = await createUser(base);
    const other = await createUser(base);
    await expectError(await httpAs(base, user.authorization, `/api/v1/users/${other.name}`, json('PATCH', { disabled: true })), 403, ['DENIED']);
    await expectError(await httpAs(base, user.authorization, `/api/v1/users/${user.name}`, json('PATCH', { admin: true })), 403, ['DENIED']);
    const me = await httpAs(base, user.authorization, '/api/v1/me');
    expect(((await me.json()) as { admin: boolean }).admin).toBe(false);
    expect((await httpAs(base, other.authorization, '/v2/')).status).toBe(200);
  });
});

describe('managing namespaces', () => {
  it('developers and maintainers cannot change a namespace, its members or delete it (403)', async () => {
    const namespace = await createNamespace(base);
    for (const role of ['developer', 'maintainer']) {
      const user = await member(base, namespace, role);
      const ns = `/api/v1/namespaces/${namespace}`;
      await expectError(await httpAs(base, user.authorization, ns, json('PATCH', { visibility: 'public' })), 403, ['DENIED']);
      await expectError(await httpAs(base, user.authorization, ns, json('PATCH', { immutableTags: true, deletePolicy: 'developer' })), 403, ['DENIED']);
      await expectError(await httpAs(base, user.authorization, `${ns}/members/${user.name}`, json('PUT', { role: 'owner' })), 403, ['DENIED']);
      await expectError(await httpAs(base, user.authorization, `${ns}/members/${TEST_ADMIN.username}`, { method: 'DELETE' }), 403, ['DENIED']);
      await expectError(await httpAs(base, user.authorization, ns, { method: 'DELETE' }), 403, ['DENIED']);
    }
    const settings = (await (await http(base, `/api/v1/namespaces/${namespace}`)).json()) as Record<string, unknown>;
    expect(settings).toMatchObject({ visibility: 'private', immutableTags: false, deletePolicy: 'maintainer' });
    const { members } = (await (await http(base, `/api/v1/namespaces/${namespace}/members`)).json()) as { members: { name: string; role: string }[] };
    expect(members.filter((m) => m.role === 'owner').map((m) => m.name)).toEqual([TEST_ADMIN.username]);
  });

  it('a stranger cannot see a private namespace: the same 404 as for one that does not exist', async () => {
    const namespace = await createNamespace(base);
    const stranger = await createUser(base);
    const existing = await httpAs(base, stranger.authorization, `/api/v1/namespaces/${namespace}`, json('PATCH', { visibility: 'public' }));
    const missing = await httpAs(base, stranger.authorization, `/api/v1/namespaces/${uniqueName('ns')}`, json('PATCH', { visibility: 'public' }));
    expect(existing.status).toBe(404);
    expect(missing.status).toBe(404);
    expect((await httpAs(base, stranger.authorization, `/api/v1/namespaces/${namespace}/members`)).status).toBe(404);
    const list = (await (await httpAs(base, stranger.authorization, '/api/v1/namespaces')).json()) as { namespaces: { name: string }[] };
    expect(list.namespaces.map((n) => n.name)).not.toContain(namespace);
  });

  it('an owner may change settings and members', async () => {
    const namespace = await createNamespace(base);
    const owner = await member(base, namespace, 'owner');
    const reader = await createUser(base);
    const patch = await httpAs(base, owner.authorization, `/api/v1/namespaces/${namespace}`, json('PATCH', { immutableTags: true }));
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as { immutableTags: boolean }).immutableTags).toBe(true);
    expect((await httpAs(base, owner.authorization, `/api/v1/namespaces/${namespace}/members/${reader.name}`, json('PUT', { role: 'reader' }))).status).toBe(200);
  });

  it('a robot cannot create namespaces', async () => {
    const robot = await createRobot(base, [{ repository: `${uniqueName('team')}/*`, actions: ['pull', 'push'] }]);
    await expectError(await httpAs(base, robot.authorization, '/api/v1/namespaces', json('POST', { name: uniqueName('ns') })), 403, ['DENIED']);
  });
});

describe('administrator-only endpoints', () => {
  it('a non-admin cannot list or create users (403); anonymous gets 401', async () => {
    const user = await createUser(base);
    const name = uniqueName('sneaky');
    await expectError(await httpAs(base, user.authorization, '/api/v1/users'), 403, ['DENIED']);
    await expectError(await httpAs(base, user.authorization, '/api/v1/users', json('POST', { name, password: 'long-enough-password', admin: true })), 403, ['DENIED']);
    await expectError(await httpAs(base, undefined, '/api/v1/users'), 401, ['UNAUTHORIZED']);
    const users = (await (await http(base, '/api/v1/users')).json()) as { users: { name: string }[] };
    expect(users.users.map((u) => u.name)).not.toContain(name);
  });

  it('a non-admin cannot read the audit log (403); anonymous gets 401', async () => {
    const user = await createUser(base);
    await expectError(await httpAs(base, user.authorization, '/api/v1/audit'), 403, ['DENIED']);
    const { token } = await getToken(base, { authorization: user.authorization, scopes: ['registry:api:*'] });
    await expectError(await httpAs(base, bearer(token), '/api/v1/audit'), 403, ['DENIED']);
    await expectError(await httpAs(base, undefined, '/api/v1/audit'), 401, ['UNAUTHORIZED']);
  });

  it('an anonymous token is never granted the API scope', async () => {
    const { token, scope } = await getToken(base, { scopes: ['registry:api:*'] });
    expect(scope).toBe('');
    expect((await httpAs(base, bearer(token), '/api/v1/me')).status).toBe(401);
  });

  it('POST /api/v1/gc needs an administrator: anonymous 401, a user 403 (a made-up operator header too)', async () => {
    const user = await createUser(base);
    const body = JSON.stringify({ dryRun: true });
    const headers = { 'content-type': 'application/json' };
    await expectError(await httpAs(base, undefined, '/api/v1/gc', { method: 'POST', headers, body }), 401, ['UNAUTHORIZED']);
    await expectError(await httpAs(base, user.authorization, '/api/v1/gc', { method: 'POST', headers, body }), 403, ['DENIED']);
    await expectError(
      await httpAs(base, user.authorization, '/api/v1/gc', { method: 'POST', headers: { ...headers, 'Nocker-Operator': 'x'.repeat(64) }, body }),
      403,
      ['DENIED'],
    );
    expect((await http(base, '/api/v1/gc', { method: 'POST', headers, body })).status).toBe(200);
  });
});

describe('the audit log', () => {
  /** The one entry matching `match` among `entries`; fails naming what was there. */
  function find(entries: AuditEntry[], match: Partial<AuditEntry>): AuditEntry {
    const found = entries.find((e) => Object.entries(match).every(([k, v]) => e[k as keyof AuditEntry] === v));
    expect(found, `no entry like ${JSON.stringify(match)} in ${JSON.stringify(entries.map((e) => [e.action, e.actor, e.outcome, e.repository]))}`).toBeDefined();
    expect(LOOPBACK_ADDRESSES).toContain(found?.clientAddress);
    expect(Number.isNaN(Date.parse(found?.at ?? ''))).toBe(false);
    return found as AuditEntry;
  }

  it('records logins, pushes, pulls, deletes and refusals with actor and client address', async () => {
    const namespace = await createNamespace(base);
    const repo = `${namespace}/app`;
    const developer = await member(base, namespace, 'developer');
    await getToken(base, { authorization: developer.authorization, scopes: [`repository:${repo}:pull,push`] });
    await requestToken(base, { authorization: basicAuth(developer.name, 'wrong-password') });
    const image = await pushImageAs(base, developer.authorization, repo, 'v1');
    expect((await getManifestAs(base, developer.authorization, repo, 'v1')).status).toBe(200);
    expect((await httpAs(base, developer.authorization, `/v2/${repo}/manifests/v1`, { method: 'DELETE' })).status).toBe(403);
    expect((await http(base, `/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' })).status).toBe(202);

    const logins = await auditEntries(base, { actor: developer.name, action: 'login' });
    expect(find(logins, { outcome: 'success' }).actorKind).toBe('user');
    find(logins, { outcome: 'failure' });

    const entries = await auditEntries(base, { repository: repo });
    const push = find(entries, { action: 'push', actor: developer.name, outcome: 'success' });
    expect(push.reference).toBe('v1');
    find(entries, { action: 'pull', actor: developer.name, outcome: 'success' });
    find(entries, { action: 'delete', actor: developer.name, outcome: 'denied' });
    expect(find(entries, { action: 'delete', actor: TEST_ADMIN.username, outcome: 'success' }).reference).toBe(image.manifest.digest);
  });

  it('records user.create, namespace.create, member.set and robot.create by the administrator', async () => {
    const namespace = await createNamespace(base);
    const user = await member(base, namespace, 'reader');
    const robot = await createRobot(base, [{ repository: `${namespace}/*`, actions: ['pull'] }]);
    const entries = await auditEntries(base, { actor: TEST_ADMIN.username });
    const byDetail = (action: string, key: string, value: string) => entries.find((e) => e.action === action && e.detail?.[key] === value);
    for (const [action, key, value] of [
      ['user.create', 'account', user.name],
      ['namespace.create', 'namespace', namespace],
      ['member.set', 'account', user.name],
      ['robot.create', 'account', robot.name],
    ] as const) {
      const entry = byDetail(action, key, value);
      expect(entry, `${action} for ${value}`).toBeDefined();
      expect(entry?.outcome).toBe('success');
      expect(entry?.actorKind).toBe('user');
      expect(LOOPBACK_ADDRESSES).toContain(entry?.clientAddress);
    }
    expect(byDetail('member.set', 'account', user.name)?.detail).toMatchObject({ namespace, role: 'reader' });
  });

  it('records a refused management call as denied', async () => {
    const user = await createUser(base);
    await httpAs(base, user.authorization, '/api/v1/users');
    const entries = await auditEntries(base, { actor: user.name });
    expect(entries.some((e) => e.outcome === 'denied' && e.action === 'admin')).toBe(true);
  });

  it('records the connection address, not what X-Forwarded-For claims', async () => {
    const user = await createUser(base);
    await httpAs(base, basicAuth(user.name, 'wrong-password'), '/v2/', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    const [entry] = await auditEntries(base, { actor: user.name, action: 'login' });
    expect(entry?.outcome).toBe('failure');
    expect(LOOPBACK_ADDRESSES).toContain(entry?.clientAddress);
  });

  it('honours limit and offers no way to delete entries', async () => {
    expect((await auditEntries(base, { limit: '1' })).length).toBe(1);
    const before = await auditEntries(base, { limit: '5' });
    const res = await http(base, '/api/v1/audit', { method: 'DELETE' });
    expect([404, 405]).toContain(res.status);
    const after = await auditEntries(base, { limit: '1000' });
    for (const entry of before) expect(after.map((e) => e.id)).toContain(entry.id);
  });
});
