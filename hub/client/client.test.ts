import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { OciError } from '../oci/errors.ts';
import { HubAdmin } from './admin.ts';
import { HubClient, HubUnreachableError, scopeForRequest } from './client.ts';

const HUB = 'http://127.0.0.1:5000';
const BASIC_ADMIN = `Basic ${Buffer.from('admin:pw').toString('base64')}`;

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: string | null;
}

/**
 * A registry in a function: `/v2/…` wants a bearer token for its scope, `/token` hands one out
 * to admin:pw (or anonymously for pull), `/api/v1/…` wants Basic.
 */
function fakeHub(options: { tokenLifetime?: number; basicOnly?: boolean } = {}) {
  const seen: Seen[] = [];
  let issued = 0;
  const valid = new Map<string, string>();
  const impl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = new Headers(init.headers);
    const authorization = headers.get('authorization');
    const body = typeof init.body === 'string' ? init.body : init.body ? await new Response(init.body).text() : null;
    const method = init.method ?? 'GET';
    seen.push({ method, url: url.pathname + url.search, authorization, body });
    const json = (status: number, value: unknown, extra: Record<string, string> = {}) =>
      new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json', ...extra } });

    if (url.pathname === '/token') {
      if (authorization === 'Basic dG9vOm1hbnk=') return json(429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }, { 'Retry-After': '30' });
      if (authorization && authorization !== BASIC_ADMIN) return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] });
      const token = `t${++issued}`;
      valid.set(token, url.searchParams.getAll('scope').join(' ') + (authorization ? '' : ' anonymous'));
      return json(200, { token, access_token: token, expires_in: options.tokenLifetime ?? 300, issued_at: new Date().toISOString() });
    }
    if (url.pathname.startsWith('/api/v1/')) {
      if (authorization !== BASIC_ADMIN) return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      if (url.pathname === '/api/v1/nothing') return new Response(null, { status: 204 });
      if (url.pathname === '/api/v1/conflict') return json(409, { errors: [{ code: 'SOMETHING_NEW', message: 'user "ann" exists', detail: { name: 'ann' } }] });
      if (url.pathname === '/api/v1/broken') return new Response('<html>bad gateway</html>', { status: 502 });
      return json(200, { echo: body === null ? null : JSON.parse(body), method });
    }
    if (options.basicOnly) {
      return authorization === BASIC_ADMIN ? json(200, {}) : json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'no' }] }, { 'WWW-Authenticate': 'Basic realm="hub"' });
    }
    const scope = scopeForRequest(method, url.pathname);
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    const granted = token ? valid.get(token) : undefined;
    const anonymous = granted?.endsWith(' anonymous') ?? false;
    const ok = granted !== undefined && (url.pathname === '/v2/' ? !anonymous : granted.startsWith(scope ?? ''));
    if (!ok) {
      const scopeParam = scope ? `,scope="${scope}"` : '';
      return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'WWW-Authenticate': `Bearer realm="${HUB}/token",service="127.0.0.1:5000"${scopeParam}` });
    }
    return json(200, { ok: true });
  };
  return { fetch: impl as typeof fetch, seen, revoke: (token: string) => valid.delete(token) };
}

const admin = { username: 'admin', password: 'pw' };

describe('HubClient.v2', () => {
  it('answers a bearer challenge with a token for the challenged scope and retries once', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: '127.0.0.1:5000', credentials: admin, fetch: hub.fetch });
    const res = await client.v2('GET', '/v2/team/app/tags/list');
    expect(res.status).toBe(200);
    expect(hub.seen.map((s) => `${s.method} ${s.url} ${s.authorization ?? '-'}`)).toEqual([
      'GET /v2/team/app/tags/list -',
      `GET /token?service=127.0.0.1%3A5000&scope=repository%3Ateam%2Fapp%3Apull ${BASIC_ADMIN}`,
      'GET /v2/team/app/tags/list Bearer t1',
    ]);
  });

  it('reuses the cached token for the same scope and asks again for another', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, credentials: admin, fetch: hub.fetch });
    await client.v2('GET', '/v2/team/app/tags/list');
    hub.seen.length = 0;
    expect((await client.v2('GET', '/v2/team/app/manifests/v1')).status).toBe(200);
    expect(hub.seen.map((s) => s.authorization)).toEqual(['Bearer t1']);
    hub.seen.length = 0;
    expect((await client.v2('PUT', '/v2/team/app/manifests/v1', { body: '{}' })).status).toBe(200);
    expect(hub.seen.map((s) => s.url)).toEqual(['/v2/team/app/manifests/v1', '/token?service=127.0.0.1%3A5000&scope=repository%3Ateam%2Fapp%3Apull%2Cpush', '/v2/team/app/manifests/v1']);
    expect(hub.seen[2]?.body).toBe('{}');
  });

  it('gets a new token when the cached one is refused', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, credentials: admin, fetch: hub.fetch });
    await client.v2('GET', '/v2/team/app/tags/list');
    hub.revoke('t1');
    hub.seen.length = 0;
    expect((await client.v2('GET', '/v2/team/app/tags/list')).status).toBe(200);
    expect(hub.seen.map((s) => s.authorization)).toEqual(['Bearer t1', BASIC_ADMIN, 'Bearer t2']);
  });

  it('does not keep a token past its lifetime', async () => {
    const hub = fakeHub({ tokenLifetime: 0.001 });
    const client = new HubClient({ url: HUB, credentials: admin, fetch: hub.fetch });
    await client.v2('GET', '/v2/team/app/tags/list');
    await new Promise((r) => setTimeout(r, 5));
    hub.seen.length = 0;
    await client.v2('GET', '/v2/team/app/tags/list');
    expect(hub.seen.map((s) => s.authorization)).toEqual([null, BASIC_ADMIN, 'Bearer t2']);
  });

  it('asks anonymously without credentials', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, fetch: hub.fetch });
    expect((await client.v2('GET', '/v2/team/app/tags/list')).status).toBe(200);
    expect(hub.seen[1]?.authorization).toBeNull();
  });

  it('gets a token before sending a body that cannot be sent twice', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, credentials: admin, fetch: hub.fetch });
    const body = new Blob(['layer bytes']).stream();
    const res = await client.v2('PATCH', '/v2/team/app/blobs/uploads/abc', { body });
    expect(res.status).toBe(200);
    expect(hub.seen.map((s) => `${s.method} ${s.url.split('?')[0]}`)).toEqual(['GET /v2/', 'GET /token', 'PATCH /v2/team/app/blobs/uploads/abc']);
    expect(hub.seen[2]?.body).toBe('layer bytes');
  });

  it('retries with Basic on a Basic challenge, and sends Basic from then on', async () => {
    const hub = fakeHub({ basicOnly: true });
    const client = new HubClient({ url: HUB, credentials: admin, fetch: hub.fetch });
    expect((await client.v2('GET', '/v2/team/app/tags/list')).status).toBe(200);
    expect((await client.v2('GET', '/v2/team/app/tags/list')).status).toBe(200);
    expect(hub.seen.map((s) => s.authorization)).toEqual([null, BASIC_ADMIN, BASIC_ADMIN]);
  });

  it('rejects with the realm’s error when the token is refused', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, credentials: { username: 'admin', password: 'wrong' }, fetch: hub.fetch });
    const err = await client.v2('GET', '/v2/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('UNAUTHORIZED');
    expect((err as OciError).status).toBe(401);
    expect((err as OciError).message).toBe('incorrect username or password');
  });

  it('says when to retry after too many failures', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, credentials: { username: 'too', password: 'many' }, fetch: hub.fetch });
    const err = (await client.v2('GET', '/v2/').catch((e: unknown) => e)) as OciError;
    expect(err.code).toBe('TOOMANYREQUESTS');
    expect(err.status).toBe(429);
    expect(err.message).toContain('retry after 30 s');
  });
});

describe('HubClient.checkLogin', () => {
  it('resolves when the credentials get through /v2/', async () => {
    const client = new HubClient({ url: HUB, credentials: admin, fetch: fakeHub().fetch });
    await expect(client.checkLogin()).resolves.toBeUndefined();
  });

  it('rejects UNAUTHORIZED naming the Hub and the user', async () => {
    const client = new HubClient({ url: HUB, credentials: { username: 'admin', password: 'nope' }, fetch: fakeHub().fetch });
    const err = (await client.checkLogin().catch((e: unknown) => e)) as OciError;
    expect(err).toBeInstanceOf(OciError);
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toBe('the Hub at 127.0.0.1:5000 did not accept the credentials of "admin": incorrect username or password');
  });

  it('rejects UNAUTHORIZED when an anonymous token does not open /v2/', async () => {
    const client = new HubClient({ url: HUB, fetch: fakeHub().fetch });
    const err = (await client.checkLogin().catch((e: unknown) => e)) as OciError;
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toContain('did not accept anonymous access');
  });

  it('says the Hub cannot be reached when nothing listens', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5000') });
    }) as typeof fetch;
    const err = await new HubClient({ url: HUB, fetch: refused }).checkLogin().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubUnreachableError);
    expect((err as Error).message).toBe('cannot reach the Hub at http://127.0.0.1:5000: connect ECONNREFUSED 127.0.0.1:5000');
  });
});

describe('HubClient.api', () => {
  it('sends JSON with Basic credentials and parses the answer', async () => {
    const hub = fakeHub();
    const client = new HubClient({ url: HUB, credentials: admin, fetch: hub.fetch });
    expect(await client.api('POST', '/api/v1/users', { name: 'ann' })).toEqual({ echo: { name: 'ann' }, method: 'POST' });
    expect(hub.seen[0]?.authorization).toBe(BASIC_ADMIN);
    expect(await client.api('DELETE', '/api/v1/nothing')).toBeUndefined();
  });

  it('throws the Hub’s error with its code, message and status', async () => {
    const client = new HubClient({ url: HUB, fetch: fakeHub().fetch });
    const err = (await client.api('GET', '/api/v1/users').catch((e: unknown) => e)) as OciError;
    expect(err).toBeInstanceOf(OciError);
    expect([err.code, err.status, err.message]).toEqual(['UNAUTHORIZED', 401, 'authentication required']);
  });

  it('keeps the status and the code of errors it has no name for', async () => {
    const client = new HubClient({ url: HUB, credentials: admin, fetch: fakeHub().fetch });
    const conflict = (await client.api('POST', '/api/v1/conflict', {}).catch((e: unknown) => e)) as OciError;
    expect([conflict.status, conflict.message]).toEqual([409, 'user "ann" exists']);
    expect(conflict.detail).toEqual({ code: 'SOMETHING_NEW', detail: { name: 'ann' } });
    const broken = (await client.api('GET', '/api/v1/broken').catch((e: unknown) => e)) as OciError;
    expect([broken.code, broken.status]).toEqual(['INTERNAL', 502]);
    expect(broken.message).toBe('GET /api/v1/broken failed with HTTP 502: <html>bad gateway</html>');
  });
});

describe('scopeForRequest', () => {
  it('derives the repository scope from the path', () => {
    expect(scopeForRequest('GET', '/v2/team/app/manifests/v1')).toBe('repository:team/app:pull');
    expect(scopeForRequest('HEAD', '/v2/a/blobs/sha256:00')).toBe('repository:a:pull');
    expect(scopeForRequest('POST', '/v2/a/b/c/blobs/uploads/?mount=x')).toBe('repository:a/b/c:pull,push');
    expect(scopeForRequest('DELETE', '/v2/a/manifests/sha256:00')).toBe('repository:a:delete');
    expect(scopeForRequest('GET', '/v2/x/manifests/y/tags/list')).toBe('repository:x/manifests/y:pull');
    expect(scopeForRequest('GET', '/v2/_catalog?n=10')).toBe('registry:catalog:*');
    expect(scopeForRequest('GET', '/v2/')).toBeUndefined();
  });
});

describe('HubClient against a real Hub', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.destroy();
  });

  const blob = Buffer.from('a layer, streamed');
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

  it('pushes a streamed blob and reads it back through tokens', async () => {
    const client = new HubClient({ url: hub.url, credentials: TEST_ADMIN });
    const pushed = await client.v2('POST', `/v2/team/app/blobs/uploads/?digest=${digest}`, {
      body: Readable.toWeb(Readable.from([blob])) as ReadableStream<Uint8Array>,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.length) },
    });
    expect(pushed.status, await pushed.clone().text()).toBe(201);
    const read = await client.v2('GET', `/v2/team/app/blobs/${digest}`);
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer())).toEqual(blob);
  });

  it('leaves a refused request refused: anonymous pulls of a private repository, robots outside their access', async () => {
    const anonymous = await new HubClient({ url: hub.url }).v2('GET', `/v2/team/app/blobs/${digest}`);
    expect([401, 403]).toContain(anonymous.status);
    const admin = new HubAdmin(new HubClient({ url: hub.url, credentials: TEST_ADMIN }));
    const robot = await admin.createRobot({ name: 'reader', permissions: [{ repository: 'other/*', actions: ['pull'] }] });
    const asRobot = new HubClient({ url: hub.url, credentials: { username: robot.name, password: robot.secret } });
    await expect(asRobot.checkLogin()).resolves.toBeUndefined();
    expect([401, 403]).toContain((await asRobot.v2('GET', `/v2/team/app/blobs/${digest}`)).status);
    const me = await new HubAdmin(asRobot).me();
    expect(me).toMatchObject({ name: 'robot$reader', kind: 'robot', admin: false });
  });
});
