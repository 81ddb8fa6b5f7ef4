/**
 * Durability across a restart: content pushed before is still served, and an upload session
 * interrupted by the restart can be resumed ("Resumable Push" use case of the spec).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './harness.ts';
import {
  bodyBytes,
  getManifest,
  http,
  pushBlob,
  pushImage,
  pushManifest,
  randomBlob,
  sha256,
  sha512,
  startUpload,
  uniqueRepo,
  withQuery,
  type PushedImage,
} from './helpers.ts';

describe('a Hub restarted on the same data directory', () => {
  let first: TestHub;
  let second: TestHub | undefined;
  const repo = uniqueRepo('restart');
  const blob = randomBlob(2048);
  const blob512 = randomBlob(100);
  const upload = randomBlob(3000);
  let image: PushedImage;
  let uploadLocation: string;
  let deletedTagImage: PushedImage;

  beforeAll(async () => {
    first = await startTestHub();
    const base = first.url;
    await pushBlob(base, repo, blob);
    await pushBlob(base, repo, blob512, sha512(blob512));
    image = await pushImage(base, repo, 'v1');
    await pushManifest(base, repo, 'v1-alias', image.manifest);
    deletedTagImage = await pushImage(base, repo, 'gone');
    const del = await http(base, `/v2/${repo}/manifests/gone`, { method: 'DELETE' });
    expect(del.status).toBe(202);

    // Start an upload and send the first chunk, then stop the Hub mid-upload.
    const location = await startUpload(base, repo);
    const patch = await http(base, location, {
      method: 'PATCH',
      body: upload.subarray(0, 1000),
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-999' },
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.get('range')).toBe('0-999');
    uploadLocation = patch.headers.get('location') as string;
    await first.close();

    second = await startTestHub({ environment: first.environment });
  });

  afterAll(async () => {
    if (second) await second.destroy();
    else await first?.destroy();
  });

  const base = (): string => (second as TestHub).url;
  /** The upload Location, rebased onto the second Hub (its port differs). */
  const rebased = (location: string): string => {
    const u = new URL(location, first.url);
    return `${u.pathname}${u.search}`;
  };

  it('blobs pushed before the restart are still served, byte for byte', async () => {
    const res = await http(base(), `/v2/${repo}/blobs/${sha256(blob)}`);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(blob)).toBe(true);
    const r512 = await http(base(), `/v2/${repo}/blobs/${sha512(blob512)}`);
    expect(r512.status).toBe(200);
    expect((await bodyBytes(r512)).equals(blob512)).toBe(true);
  });

  it('manifests and tags pushed before the restart are still served', async () => {
    for (const ref of ['v1', 'v1-alias', image.manifest.digest]) {
      const res = await getManifest(base(), repo, ref);
      expect(res.status, ref).toBe(200);
      expect((await bodyBytes(res)).equals(image.manifest.bytes)).toBe(true);
    }
    const tags = await http(base(), `/v2/${repo}/tags/list`);
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['v1', 'v1-alias']);
  });

  it('a tag deleted before the restart stays deleted', async () => {
    expect((await getManifest(base(), repo, 'gone', 'HEAD')).status).toBe(404);
    expect((await getManifest(base(), repo, deletedTagImage.manifest.digest, 'HEAD')).status).toBe(200);
  });

  it('the repository is still in the catalog', async () => {
    const res = await http(base(), '/v2/_catalog');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { repositories: string[] }).repositories).toContain(repo);
  });

  it('the interrupted upload resumes: GET shows the bytes received, PATCH the rest, PUT → 201', async () => {
    const status = await http(base(), rebased(uploadLocation));
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-999');
    const loc = status.headers.get('location') ?? uploadLocation;

    const patch = await http(base(), rebased(loc), {
      method: 'PATCH',
      body: upload.subarray(1000),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `1000-${upload.length - 1}` },
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.get('range')).toBe(`0-${upload.length - 1}`);

    const digest = sha256(upload);
    const put = await http(base(), withQuery(rebased(patch.headers.get('location') as string), { digest }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);

    const res = await http(base(), `/v2/${repo}/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(upload)).toBe(true);
  });

  it('new pushes work after the restart', async () => {
    const img = await pushImage(base(), repo, 'after');
    const res = await getManifest(base(), repo, 'after');
    expect((await bodyBytes(res)).equals(img.manifest.bytes)).toBe(true);
  });
});
