/**
 * Content management: deleting tags, manifests and blobs.
 */
import { describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import {
  bodyBytes,
  expectError,
  getManifest,
  http,
  imageIndex,
  pushBlob,
  pushImage,
  pushImageCopy,
  pushManifest,
  randomBlob,
  sha256,
  uniqueRepo,
} from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

async function tagsOf(repo: string): Promise<string[]> {
  const res = await http(base, `/v2/${repo}/tags/list`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

const del = (path: string): Promise<Response> => http(base, path, { method: 'DELETE' });

describe('deleting tags: DELETE /v2/<name>/manifests/<tag>', () => {
  it('MUST answer 202; the tag then answers 404, other tags and the digest still resolve', async () => {
    const repo = uniqueRepo('del-tag');
    const img = await pushImage(base, repo, 'one');
    await pushManifest(base, repo, 'two', img.manifest);

    const res = await del(`/v2/${repo}/manifests/one`);
    expect(res.status).toBe(202);
    await res.arrayBuffer();

    await expectError(await getManifest(base, repo, 'one'), 404, ['MANIFEST_UNKNOWN']);
    const two = await getManifest(base, repo, 'two');
    expect(two.status).toBe(200);
    expect((await bodyBytes(two)).equals(img.manifest.bytes)).toBe(true);
    const byDigest = await getManifest(base, repo, img.manifest.digest);
    expect(byDigest.status).toBe(200);
    await byDigest.arrayBuffer();
    expect(await tagsOf(repo)).toEqual(['two']);
  });

  it('the last tag of a manifest can be removed; the manifest stays pullable by digest', async () => {
    const repo = uniqueRepo('del-last-tag');
    const img = await pushImage(base, repo, 'only');
    expect((await del(`/v2/${repo}/manifests/only`)).status).toBe(202);
    const byDigest = await getManifest(base, repo, img.manifest.digest);
    expect(byDigest.status).toBe(200);
    expect((await bodyBytes(byDigest)).equals(img.manifest.bytes)).toBe(true);
  });

  it('a deleted tag can be pushed again', async () => {
    const repo = uniqueRepo('del-retag');
    const img = await pushImage(base, repo, 'again');
    expect((await del(`/v2/${repo}/manifests/again`)).status).toBe(202);
    await pushManifest(base, repo, 'again', img.manifest);
    expect((await getManifest(base, repo, 'again')).status).toBe(200);
  });

  it('deleting a tag that does not exist answers 404 (MANIFEST_UNKNOWN)', async () => {
    const repo = uniqueRepo('del-unknown-tag');
    await pushImage(base, repo, 'exists');
    await expectError(await del(`/v2/${repo}/manifests/never-was`), 404, ['MANIFEST_UNKNOWN']);
  });
});

describe('deleting manifests: DELETE /v2/<name>/manifests/<digest>', () => {
  it('MUST answer 202; the digest and every tag pointing to it then answer 404', async () => {
    const repo = uniqueRepo('del-manifest');
    const img = await pushImage(base, repo, 'a');
    await pushManifest(base, repo, 'b', img.manifest);
    const keep = await pushImage(base, repo, 'keep');

    const res = await del(`/v2/${repo}/manifests/${img.manifest.digest}`);
    expect(res.status).toBe(202);
    await res.arrayBuffer();

    await expectError(await getManifest(base, repo, img.manifest.digest), 404, ['MANIFEST_UNKNOWN']);
    await expectError(await getManifest(base, repo, 'a'), 404, ['MANIFEST_UNKNOWN']);
    await expectError(await getManifest(base, repo, 'b'), 404, ['MANIFEST_UNKNOWN']);
    const head = await getManifest(base, repo, img.manifest.digest, 'HEAD');
    expect(head.status).toBe(404);
    expect(await tagsOf(repo)).toEqual(['keep']);
    const other = await getManifest(base, repo, keep.manifest.digest);
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it('deleting a manifest in one repository leaves the same manifest in another repository intact', async () => {
    const a = uniqueRepo('del-scope-a');
    const b = uniqueRepo('del-scope-b');
    const img = await pushImage(base, a, 'x');
    // Same bytes pushed into b.
    await pushImageCopy(base, b, img, 'x');

    expect((await del(`/v2/${a}/manifests/${img.manifest.digest}`)).status).toBe(202);
    const inB = await getManifest(base, b, 'x');
    expect(inB.status).toBe(200);
    expect((await bodyBytes(inB)).equals(img.manifest.bytes)).toBe(true);
  });

  it('a deleted manifest can be pushed again', async () => {
    const repo = uniqueRepo('del-repush');
    const img = await pushImage(base, repo, 'x');
    expect((await del(`/v2/${repo}/manifests/${img.manifest.digest}`)).status).toBe(202);
    await pushManifest(base, repo, 'x', img.manifest);
    const res = await getManifest(base, repo, 'x');
    expect((await bodyBytes(res)).equals(img.manifest.bytes)).toBe(true);
  });

  it('deleting an unknown digest answers 404 MANIFEST_UNKNOWN', async () => {
    const repo = uniqueRepo('del-unknown');
    await pushImage(base, repo, 'x');
    await expectError(await del(`/v2/${repo}/manifests/${sha256(randomBlob())}`), 404, ['MANIFEST_UNKNOWN']);
  });

  it('deleting twice: the second DELETE answers 404', async () => {
    const repo = uniqueRepo('del-twice');
    const img = await pushImage(base, repo, 'x');
    expect((await del(`/v2/${repo}/manifests/${img.manifest.digest}`)).status).toBe(202);
    await expectError(await del(`/v2/${repo}/manifests/${img.manifest.digest}`), 404, ['MANIFEST_UNKNOWN']);
  });

  it('deleting in a repository that does not exist MUST answer 404 (NAME_UNKNOWN or MANIFEST_UNKNOWN)', async () => {
    const res = await del(`/v2/${uniqueRepo('ghost')}/manifests/${sha256(randomBlob())}`);
    await expectError(res, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });

  it('a manifest still referenced by an index can be deleted by digest, or refused with a 4xx — never a 5xx', async () => {
    const repo = uniqueRepo('del-child');
    const child = await pushImage(base, repo);
    const index = imageIndex({ manifests: [child.manifest.descriptor] });
    await pushManifest(base, repo, 'idx', index);
    const res = await del(`/v2/${repo}/manifests/${child.manifest.digest}`);
    expect([202, 400, 405, 409]).toContain(res.status);
    await res.arrayBuffer();
    // Whatever happened to the child, the index itself is still served.
    const idx = await getManifest(base, repo, 'idx');
    expect(idx.status).toBe(200);
    await idx.arrayBuffer();
  });
});

describe('deleting blobs: DELETE /v2/<name>/blobs/<digest>', () => {
  it('MUST answer 202; the blob then answers 404 BLOB_UNKNOWN to GET and 404 to HEAD', async () => {
    const repo = uniqueRepo('del-blob');
    const data = randomBlob(100);
    const digest = await pushBlob(base, repo, data);
    const res = await del(`/v2/${repo}/blobs/${digest}`);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await expectError(await http(base, `/v2/${repo}/blobs/${digest}`), 404, ['BLOB_UNKNOWN']);
    expect((await http(base, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('deleting a blob that is not found MUST answer 404 (BLOB_UNKNOWN)', async () => {
    const repo = uniqueRepo('del-blob-unknown');
    await pushBlob(base, repo, randomBlob(10));
    await expectError(await del(`/v2/${repo}/blobs/${sha256(randomBlob())}`), 404, ['BLOB_UNKNOWN']);
  });

  it('deleting a blob from repository A leaves it available in repository B', async () => {
    const a = uniqueRepo('del-blob-a');
    const b = uniqueRepo('del-blob-b');
    const data = randomBlob(100);
    const digest = await pushBlob(base, a, data);
    await pushBlob(base, b, data);
    expect((await del(`/v2/${a}/blobs/${digest}`)).status).toBe(202);
    expect((await http(base, `/v2/${a}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    const inB = await http(base, `/v2/${b}/blobs/${digest}`);
    expect(inB.status).toBe(200);
    expect((await bodyBytes(inB)).equals(data)).toBe(true);
  });

  it('a blob that exists only in another repository cannot be deleted through this one (404)', async () => {
    const a = uniqueRepo('del-blob-own');
    const b = uniqueRepo('del-blob-thief');
    const data = randomBlob(100);
    const digest = await pushBlob(base, a, data);
    await pushBlob(base, b, randomBlob(10));
    expect((await del(`/v2/${b}/blobs/${digest}`)).status).toBe(404);
    expect((await http(base, `/v2/${a}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200);
  });

  it('a blob mounted into B survives its deletion from the source repository A', async () => {
    const a = uniqueRepo('del-mount-a');
    const b = uniqueRepo('del-mount-b');
    const data = randomBlob(100);
    const digest = await pushBlob(base, a, data);
    const mount = await http(base, `/v2/${b}/blobs/uploads/?mount=${digest}&from=${a}`, { method: 'POST' });
    expect(mount.status).toBe(201);
    expect((await del(`/v2/${a}/blobs/${digest}`)).status).toBe(202);
    const inB = await http(base, `/v2/${b}/blobs/${digest}`);
    expect(inB.status).toBe(200);
    expect((await bodyBytes(inB)).equals(data)).toBe(true);
  });

  it('deleting a layer blob does not break pulling the manifest that names it', async () => {
    const repo = uniqueRepo('del-layer');
    const img = await pushImage(base, repo, 'x');
    expect((await del(`/v2/${repo}/blobs/${img.layer.descriptor.digest}`)).status).toBe(202);
    const res = await getManifest(base, repo, 'x');
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(img.manifest.bytes)).toBe(true);
  });

  it('a deleted blob can be uploaded again', async () => {
    const repo = uniqueRepo('del-blob-again');
    const data = randomBlob(100);
    const digest = await pushBlob(base, repo, data);
    expect((await del(`/v2/${repo}/blobs/${digest}`)).status).toBe(202);
    await pushBlob(base, repo, data);
    const res = await http(base, `/v2/${repo}/blobs/${digest}`);
    expect((await bodyBytes(res)).equals(data)).toBe(true);
  });

  it('deleting a blob with an invalid digest answers 400 DIGEST_INVALID', async () => {
    const repo = uniqueRepo('del-blob-bad');
    await pushBlob(base, repo, randomBlob(10));
    await expectError(await del(`/v2/${repo}/blobs/sha256:zzz`), 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
  });
});
