/**
 * Access control, part 2: what repositories reveal and to whom. Private repositories read
 * anonymously or by strangers, the catalog, namespace roles, path tricks to reach another
 * namespace, cross-repository mounts, the delete role and delete policies, immutable tags.
 */
import { describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import { ADMIN_AUTHORIZATION, bodyBytes, expectError, MANIFEST_ACCEPT, sha256 } from './helpers.ts';
import {
  bearer,
  catalogAs,
  createNamespace,
  createRobot,
  createUser,
  expectNothingOf,
  getManifestAs,
  getToken,
  httpAs,
  member,
  newImage,
  parseBearerChallenge,
  pushImageAs,
  putManifestAs,
  rawRequestAs,
  uniqueName,
  type Image,
} from './auth-helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

/** A private namespace holding `<ns>/app:v1`, pushed by the administrator. */
async function privateImage(settings: Parameters<typeof createNamespace>[1] = {}): Promise<{ namespace: string; repo: string; image: Image }> {
  const namespace = await createNamespace(base, { visibility: 'private', ...settings });
  const repo = `${namespace}/app`;
  return { namespace, repo, image: await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v1') };
}

const del = (authorization: string | undefined, repo: string, reference: string) =>
  httpAs(base, authorization, `/v2/${repo}/manifests/${reference}`, { method: 'DELETE' });

describe('private repositories, read anonymously', () => {
  it('manifest GET and HEAD answer 401 and reveal neither the manifest nor its digest', async () => {
    const { repo, image } = await privateImage();
    for (const method of ['GET', 'HEAD']) {
      for (const reference of ['v1', image.manifest.digest]) {
        const res = await getManifestAs(base, undefined, repo, reference, method);
        expect(res.status, `${method} ${reference}`).toBe(401);
        expectNothingOf(image, await res.text(), res.headers);
      }
    }
  });

  it('blobs, tag lists and referrers answer 401 and reveal nothing', async () => {
    const { repo, image } = await privateImage();
    for (const path of [`/v2/${repo}/blobs/${sha256(image.layer)}`, `/v2/${repo}/tags/list`, `/v2/${repo}/referrers/${image.manifest.digest}`]) {
      const res = await httpAs(base, undefined, path);
      const text = await res.text();
      expect(res.status, path).toBe(401);
      expect(text).not.toContain('"v1"');
      expectNothingOf(image, text, res.headers);
    }
  });

  it('an anonymous token is granted nothing on a private repository, and pulling with it is 401', async () => {
    const { repo, image } = await privateImage();
    const { token, scope } = await getToken(base, { scopes: [`repository:${repo}:pull`] });
    expect(scope).toBe('');
    const res = await getManifestAs(base, bearer(token), repo, 'v1');
    expect(res.status).toBe(401);
    expectNothingOf(image, await res.text(), res.headers);
  });

  it('an existing private repository and a missing one look the same to an anonymous client and to a stranger', async () => {
    const { repo } = await privateImage();
    const missing = `${uniqueName('ns')}/app`;
    const stranger = await createUser(base);
    for (const who of [undefined, stranger.authorization]) {
      const existing = await getManifestAs(base, who, repo, 'v1');
      const absent = await getManifestAs(base, who, missing, 'v1');
      expect(existing.status).toBe(absent.status);
      expect(existing.status).toBe(who ? 403 : 401);
      const [a, b] = [await existing.json(), await absent.json()] as { errors: { code: string }[] }[];
      expect(a?.errors[0]?.code).toBe(b?.errors[0]?.code);
    }
  });

  it('a logged-in stranger gets 403 DENIED and nothing of the repository', async () => {
    const { repo, image } = await privateImage();
    const stranger = await createUser(base);
    const res = await getManifestAs(base, stranger.authorization, repo, 'v1');
    const text = await res.text();
    expect(res.status).toBe(403);
    expect(JSON.parse(text).errors[0].code).toBe('DENIED');
    expectNothingOf(image, text, res.headers);
    expect((await httpAs(base, stranger.authorization, `/v2/${repo}/tags/list`)).status).toBe(403);
  });
});

describe('namespace roles', () => {
  it('a reader added through PUT /api/v1/namespaces/:ns/members may pull the private namespace', async () => {
    const { namespace, repo, image } = await privateImage();
    const reader = await member(base, namespace, 'reader');
    const res = await getManifestAs(base, reader.authorization, repo, 'v1');
    expect(res.status).toBe(200);
    expect(await bodyBytes(res)).toEqual(image.manifest.bytes);
  });

  it('owning a personal namespace gives no access to another private namespace', async () => {
    const { namespace, repo, image } = await privateImage();
    const user = await createUser(base);
    await pushImageAs(base, user.authorization, `${user.name}/app`, 'v1');
    const pull = await getManifestAs(base, user.authorization, repo, 'v1');
    expectNothingOf(image, await pull.text(), pull.headers);
    expect(pull.status).toBe(403);
    expect((await del(user.authorization, repo, 'v1')).status).toBe(403);
    const patch = await httpAs(base, user.authorization, `/api/v1/namespaces/${namespace}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'public' }),
    });
    expect([403, 404]).toContain(patch.status);
    expect((await getManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1')).status).toBe(200);
  });

  it('a user may push into the namespace named after them and becomes its owner', async () => {
    const user = await createUser(base);
    await pushImageAs(base, user.authorization, `${user.name}/app`, 'v1');
    const res = await httpAs(base, user.authorization, `/api/v1/namespaces/${user.name}/members`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { members: { name: string; role: string }[] }).members).toEqual([{ name: user.name, kind: 'user', role: 'owner' }]);
  });

  it('a user may not push into a namespace that is not theirs', async () => {
    const user = await createUser(base);
    const elsewhere = `${uniqueName('ns')}/app`;
    const res = await httpAs(base, user.authorization, `/v2/${elsewhere}/blobs/uploads/`, { method: 'POST' });
    await expectError(res, 403, ['DENIED']);
    const image = newImage();
    await expectError(await putManifestAs(base, user.authorization, elsewhere, 'v1', image.manifest), 403, ['DENIED']);
  });
});

describe('the catalog lists only what the caller may read', () => {
  it('an anonymous token and a stranger see public repositories, never private ones; a member sees theirs', async () => {
    const publicNs = await createNamespace(base, { visibility: 'public' });
    await pushImageAs(base, ADMIN_AUTHORIZATION, `${publicNs}/app`, 'v1');
    const { namespace: privateNs, repo: privateRepo } = await privateImage();
    const reader = await member(base, privateNs, 'reader');
    const stranger = await createUser(base);

    const { token, scope } = await getToken(base, { scopes: ['registry:catalog:*'] });
    expect(scope).toBe('registry:catalog:*');
    const strangerToken = await getToken(base, { authorization: stranger.authorization, scopes: ['registry:catalog:*'] });
    for (const who of [bearer(token), stranger.authorization, bearer(strangerToken.token)]) {
      const names = await catalogAs(base, who);
      expect(names).toContain(`${publicNs}/app`);
      expect(names.some((n) => n.startsWith(`${privateNs}/`))).toBe(false);
    }
    expect(await catalogAs(base, reader.authorization)).toContain(privateRepo);
    expect(await catalogAs(base, ADMIN_AUTHORIZATION)).toEqual(expect.arrayContaining([privateRepo, `${publicNs}/app`]));
  });

  it('a robot sees exactly the repositories its permissions name, not the rest of their namespaces', async () => {
    const namespace = await createNamespace(base);
    await pushImageAs(base, ADMIN_AUTHORIZATION, `${namespace}/app`, 'v1');
    await pushImageAs(base, ADMIN_AUTHORIZATION, `${namespace}/secret-name`, 'v1');
    const robot = await createRobot(base, [{ repository: `${namespace}/app`, actions: ['pull'] }]);
    const names = await catalogAs(base, robot.authorization);
    expect(names).toContain(`${namespace}/app`);
    expect(names).not.toContain(`${namespace}/secret-name`);
  });

  it('a token without registry:catalog:* cannot list', async () => {
    const user = await createUser(base);
    const { token } = await getToken(base, { authorization: user.authorization, scopes: [`repository:${user.name}/app:pull`] });
    const res = await httpAs(base, bearer(token), '/v2/_catalog');
    expect(res.status).toBe(401);
    expect(parseBearerChallenge(res.headers.get('www-authenticate'))?.scope).toBe('registry:catalog:*');
  });
});

describe('path tricks do not reach another namespace', () => {
  /** A robot confined to `mine/*` (robots do not depend on namespace roles) and a private `other`. */
  async function setup() {
    const mine = uniqueName('mine');
    const { namespace: other, image } = await privateImage();
    const robot = await createRobot(base, [{ repository: `${mine}/*`, actions: ['pull', 'push', 'delete'] }]);
    await pushImageAs(base, robot.authorization, `${mine}/app`, 'v1');
    return { mine, other, image, robot };
  }

  const tricks: [string, (mine: string, other: string) => string][] = [
    ['%2e%2e as the first component', (_m, o) => `/v2/%2e%2e/${o}/app/manifests/v1`],
    ['..%2f inside the name', (m, o) => `/v2/${m}/..%2f${o}/app/manifests/v1`],
    ['%2f-encoded separators', (m, o) => `/v2/${m}%2f..%2f${o}/app/manifests/v1`],
    ['a literal ../', (m, o) => `/v2/${m}/../${o}/app/manifests/v1`],
    ['../../ out of a repository', (m, o) => `/v2/${m}/app/../../${o}/app/manifests/v1`],
    ['%2e%2e segments', (m, o) => `/v2/${m}/%2e%2e/${o}/app/manifests/v1`],
    ['encoded backslashes', (m, o) => `/v2/${m}/app/..%5c..%5c${o}/app/manifests/v1`],
    ['a double slash', (m, o) => `/v2/${m}//${o}/app/manifests/v1`],
    ['upper case', (_m, o) => `/v2/${o.toUpperCase()}/app/manifests/v1`],
    ['a blob through ../', (m, o) => `/v2/${m}/../${o}/app/blobs/LAYER`],
    ['a tag list through ../', (m, o) => `/v2/${m}/../${o}/app/tags/list`],
  ];

  it.each(tricks)('%s: never 200 with the other namespace content', async (_label, path) => {
    const { mine, other, image, robot } = await setup();
    const target = path(mine, other).replace('LAYER', sha256(image.layer));
    const res = await rawRequestAs(base, 'GET', target, { authorization: robot.authorization, accept: MANIFEST_ACCEPT });
    expect([400, 401, 403, 404], `${target} answered ${res.status}: ${res.body.toString().slice(0, 200)}`).toContain(res.status);
    expectNothingOf(image, res.body, res.headers);
    expect(res.body.toString()).not.toContain(image.layer.toString('latin1'));
  });

  it('the same tricks with a bearer token for mine/app never reach other', async () => {
    const { mine, other, image, robot } = await setup();
    const { token } = await getToken(base, { authorization: robot.authorization, scopes: [`repository:${mine}/app:pull,push,delete`] });
    for (const [, path] of tricks.slice(0, 9)) {
      const target = path(mine, other);
      const res = await rawRequestAs(base, 'GET', target, { authorization: bearer(token), accept: MANIFEST_ACCEPT });
      expect([400, 401, 403, 404], `${target} answered ${res.status}`).toContain(res.status);
      expectNothingOf(image, res.body, res.headers);
    }
  });

  it('a manifest PUT or DELETE through ../ changes nothing in the other namespace', async () => {
    const { mine, other, image, robot } = await setup();
    const intruder = newImage();
    for (const [method, path] of [
      ['PUT', `/v2/${mine}/../${other}/app/manifests/v1`],
      ['DELETE', `/v2/${mine}/../${other}/app/manifests/v1`],
      ['DELETE', `/v2/${mine}/..%2f${other}/app/manifests/${image.manifest.digest}`],
    ] as const) {
      const res = await rawRequestAs(base, method, path, {
        authorization: robot.authorization,
        'content-type': intruder.manifest.mediaType,
        'content-length': '0',
      });
      expect([400, 401, 403, 404], `${method} ${path} answered ${res.status}`).toContain(res.status);
    }
    const still = await getManifestAs(base, ADMIN_AUTHORIZATION, `${other}/app`, 'v1');
    expect(still.status).toBe(200);
    expect(await bodyBytes(still)).toEqual(image.manifest.bytes);
  });
});

describe('cross-repository mounts', () => {
  it('a mount from a private repository the caller cannot read falls back to an upload and links nothing', async () => {
    const { repo: source, image } = await privateImage();
    const mine = uniqueName('mine');
    const robot = await createRobot(base, [{ repository: `${mine}/*`, actions: ['pull', 'push'] }]);
    const digest = sha256(image.layer);
    for (const query of [`mount=${digest}&from=${source}`, `mount=${digest}`]) {
      const res = await httpAs(base, robot.authorization, `/v2/${mine}/app/blobs/uploads/?${query}`, { method: 'POST' });
      expect(res.status, query).toBe(202);
      expect(res.headers.get('location')).toContain('/blobs/uploads/');
      expect(res.headers.get('docker-content-digest')).toBeNull();
    }
    const head = await httpAs(base, robot.authorization, `/v2/${mine}/app/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(404);
  });

  it('a mount from a repository the caller may read links the blob', async () => {
    const publicNs = await createNamespace(base, { visibility: 'public' });
    const image = await pushImageAs(base, ADMIN_AUTHORIZATION, `${publicNs}/app`, 'v1');
    const mine = uniqueName('mine');
    const robot = await createRobot(base, [{ repository: `${mine}/*`, actions: ['pull', 'push'] }]);
    const digest = sha256(image.layer);
    const res = await httpAs(base, robot.authorization, `/v2/${mine}/app/blobs/uploads/?mount=${digest}&from=${publicNs}/app`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect((await httpAs(base, robot.authorization, `/v2/${mine}/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200);
  });

  it('a user mounting into their own namespace cannot mount from a private repository', async () => {
    const { repo: source, image } = await privateImage();
    const user = await createUser(base);
    await pushImageAs(base, user.authorization, `${user.name}/app`, 'v1');
    const digest = sha256(image.layer);
    const res = await httpAs(base, user.authorization, `/v2/${user.name}/app/blobs/uploads/?mount=${digest}&from=${source}`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect((await httpAs(base, user.authorization, `/v2/${user.name}/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });
});

describe('blobs of a private repository cannot be borrowed', () => {
  it('a manifest naming a blob the caller never uploaded is refused, and the blob stays unreadable', async () => {
    const { image } = await privateImage();
    const user = await createUser(base);
    const repo = `${user.name}/app`;
    await pushImageAs(base, user.authorization, repo, 'v1');
    // Same config and layer digests as the private image: only the manifest is the caller's.
    await expectError(await putManifestAs(base, user.authorization, repo, 'stolen', image.manifest), 400, ['MANIFEST_BLOB_UNKNOWN']);
    expect((await httpAs(base, user.authorization, `/v2/${repo}/blobs/${sha256(image.layer)}`)).status).toBe(404);
  });

  it('an upload that names a private blob digest without its bytes does not link it', async () => {
    const { image } = await privateImage();
    const user = await createUser(base);
    const repo = `${user.name}/app`;
    const digest = sha256(image.layer);
    const monolithic = await httpAs(base, user.authorization, `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: new Uint8Array(0),
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expectError(monolithic, 400, ['DIGEST_INVALID', 'SIZE_INVALID', 'BLOB_UPLOAD_INVALID']);
    const start = await httpAs(base, user.authorization, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location') as string, base);
    location.searchParams.set('digest', digest);
    const finish = await httpAs(base, user.authorization, `${location.pathname}${location.search}`, { method: 'PUT' });
    await expectError(finish, 400, ['DIGEST_INVALID', 'SIZE_INVALID', 'BLOB_UPLOAD_INVALID']);
    expect((await httpAs(base, user.authorization, `/v2/${repo}/blobs/${digest}`)).status).toBe(404);
  });
});

describe('deleting needs the delete role', () => {
  it('a developer may push but not delete (403); a maintainer may delete', async () => {
    const namespace = await createNamespace(base);
    const repo = `${namespace}/app`;
    const developer = await member(base, namespace, 'developer');
    const maintainer = await member(base, namespace, 'maintainer');
    const image = await pushImageAs(base, developer.authorization, repo, 'v1');
    await expectError(await del(developer.authorization, repo, 'v1'), 403, ['DENIED']);
    const { scope } = await getToken(base, { authorization: developer.authorization, scopes: [`repository:${repo}:pull,push,delete`] });
    expect(scope).toBe(`repository:${repo}:pull,push`);
    expect((await del(maintainer.authorization, repo, image.manifest.digest)).status).toBe(202);
  });

  it('deletePolicy developer lets developers delete; deletePolicy owner refuses maintainers', async () => {
    const lenient = await createNamespace(base, { deletePolicy: 'developer' });
    const developer = await member(base, lenient, 'developer');
    await pushImageAs(base, developer.authorization, `${lenient}/app`, 'v1');
    expect((await del(developer.authorization, `${lenient}/app`, 'v1')).status).toBe(202);

    const strict = await createNamespace(base, { deletePolicy: 'owner' });
    const maintainer = await member(base, strict, 'maintainer');
    const owner = await member(base, strict, 'owner');
    await pushImageAs(base, maintainer.authorization, `${strict}/app`, 'v1');
    await expectError(await del(maintainer.authorization, `${strict}/app`, 'v1'), 403, ['DENIED']);
    expect((await del(owner.authorization, `${strict}/app`, 'v1')).status).toBe(202);
  });

  it('deletePolicy admin refuses even the namespace owner; an administrator may delete', async () => {
    const user = await createUser(base);
    const repo = `${user.name}/app`;
    await pushImageAs(base, user.authorization, repo, 'v1');
    const patch = await httpAs(base, user.authorization, `/api/v1/namespaces/${user.name}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deletePolicy: 'admin' }),
    });
    expect(patch.status).toBe(200);
    await expectError(await del(user.authorization, repo, 'v1'), 403, ['DENIED']);
    expect((await del(ADMIN_AUTHORIZATION, repo, 'v1')).status).toBe(202);
  });

  it('a robot without delete permission gets 403 on DELETE', async () => {
    const namespace = uniqueName('bots');
    const robot = await createRobot(base, [{ repository: `${namespace}/*`, actions: ['pull', 'push'] }]);
    const repo = `${namespace}/app`;
    const image = await pushImageAs(base, robot.authorization, repo, 'v1');
    await expectError(await del(robot.authorization, repo, 'v1'), 403, ['DENIED']);
    await expectError(await httpAs(base, robot.authorization, `/v2/${repo}/blobs/${image.manifest.digest}`, { method: 'DELETE' }), 403, ['DENIED']);
    expect((await getManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1')).status).toBe(200);
  });
});

describe('immutable tags', () => {
  async function immutable(): Promise<{ repo: string; first: Image }> {
    const namespace = await createNamespace(base, { immutableTags: true });
    const repo = `${namespace}/app`;
    return { repo, first: await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v1') };
  }

  it('a pushed tag cannot be moved to another manifest (403 DENIED), even by an administrator', async () => {
    const { repo, first } = await immutable();
    const second = newImage();
    await pushImageAs(base, ADMIN_AUTHORIZATION, repo, 'v2', second);
    await expectError(await putManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1', second.manifest), 403, ['DENIED']);
    const res = await getManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
    expect(res.headers.get('docker-content-digest')).toBe(first.manifest.digest);
  });

  it('pushing the same manifest to the tag again is fine', async () => {
    const { repo, first } = await immutable();
    expect((await putManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1', first.manifest)).status).toBe(201);
  });

  it('a tag cannot be deleted (403), nor its manifest by digest', async () => {
    const { repo, first } = await immutable();
    await expectError(await del(ADMIN_AUTHORIZATION, repo, 'v1'), 403, ['DENIED']);
    await expectError(await del(ADMIN_AUTHORIZATION, repo, first.manifest.digest), 403, ['DENIED']);
    const res = await getManifestAs(base, ADMIN_AUTHORIZATION, repo, 'v1');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(first.manifest.digest);
  });

  it('an untagged manifest can still be deleted by digest', async () => {
    const { repo } = await immutable();
    const untagged = newImage();
    await pushImageAs(base, ADMIN_AUTHORIZATION, repo, untagged.manifest.digest, untagged);
    expect((await del(ADMIN_AUTHORIZATION, repo, untagged.manifest.digest)).status).toBe(202);
  });
});
