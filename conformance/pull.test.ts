/**
 * Pull: the API version check, fetching blobs (whole, HEAD, ranges) and fetching manifests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import {
  MT,
  MANIFEST_ACCEPT,
  bodyBytes,
  dockerManifest,
  dockerManifestList,
  descriptorOf,
  expectError,
  getManifest,
  http,
  imageIndex,
  imageManifest,
  pushBlob,
  pushImage,
  pushManifest,
  randomBlob,
  sha256,
  uniqueRepo,
  type PushedImage,
} from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

describe('API version check: GET /v2/', () => {
  it('answers 200 OK', async () => {
    const res = await http(base, '/v2/');
    expect(res.status).toBe(200);
  });

  it('sets Docker-Distribution-API-Version: registry/2.0', async () => {
    const res = await http(base, '/v2/');
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('also answers HEAD /v2/ with 200', async () => {
    const res = await http(base, '/v2/', { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it('GET /v2 without the trailing slash does not fail with a server error', async () => {
    const res = await http(base, '/v2');
    expect([200, 301, 302, 307, 308, 404]).toContain(res.status);
  });
});

describe('pulling blobs: GET /v2/<name>/blobs/<digest>', () => {
  const repo = uniqueRepo('pull-blob');
  const data = randomBlob(1000);
  let digest: string;

  beforeAll(async () => {
    digest = await pushBlob(base, repo, data);
  });

  it('an existing blob MUST return 200 with the exact bytes', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(data)).toBe(true);
  });

  it('MUST carry Docker-Content-Digest matching the returned content', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect(sha256(await bodyBytes(res))).toBe(digest);
  });

  it('carries Content-Length equal to the blob size', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${digest}`);
    expect(res.headers.get('content-length')).toBe(String(data.length));
    await res.arrayBuffer();
  });

  it('advertises Accept-Ranges: bytes', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${digest}`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    await res.arrayBuffer();
  });

  it('a blob that does not exist MUST return 404 BLOB_UNKNOWN', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${sha256(randomBlob())}`);
    await expectError(res, 404, ['BLOB_UNKNOWN']);
  });

  it('a blob in an unknown repository returns 404 (BLOB_UNKNOWN or NAME_UNKNOWN)', async () => {
    const res = await http(base, `/v2/${uniqueRepo('nowhere')}/blobs/${digest}`);
    await expectError(res, 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN']);
  });

  it('a blob pushed to repository A is not served from repository B (404) until pushed there', async () => {
    const other = uniqueRepo('pull-other');
    await pushImage(base, other, 'latest'); // make `other` a real repository
    const res = await http(base, `/v2/${other}/blobs/${digest}`);
    await expectError(res, 404, ['BLOB_UNKNOWN']);
    const head = await http(base, `/v2/${other}/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(404);

    await pushBlob(base, other, data);
    const after = await http(base, `/v2/${other}/blobs/${digest}`);
    expect(after.status).toBe(200);
    expect((await bodyBytes(after)).equals(data)).toBe(true);
  });

  it('serves an empty (zero-byte) blob', async () => {
    const empty = Buffer.alloc(0);
    const d = await pushBlob(base, repo, empty);
    const res = await http(base, `/v2/${repo}/blobs/${d}`);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).length).toBe(0);
    expect(res.headers.get('docker-content-digest')).toBe(d);
  });

  it('serves a blob of several MiB intact', async () => {
    const big = randomBlob(5 * 1024 * 1024 + 17);
    const d = await pushBlob(base, repo, big);
    const res = await http(base, `/v2/${repo}/blobs/${d}`);
    expect(res.status).toBe(200);
    const got = await bodyBytes(res);
    expect(got.length).toBe(big.length);
    expect(sha256(got)).toBe(d);
  });
});

describe('checking blob existence: HEAD /v2/<name>/blobs/<digest>', () => {
  const repo = uniqueRepo('head-blob');
  const data = randomBlob(333);
  let digest: string;

  beforeAll(async () => {
    digest = await pushBlob(base, repo, data);
  });

  it('MUST return 200 with Docker-Content-Digest and Content-Length, and no body', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect(res.headers.get('content-length')).toBe(String(data.length));
    expect((await bodyBytes(res)).length).toBe(0);
  });

  it('MUST return 404 for a blob that does not exist', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${sha256(randomBlob())}`, { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect((await bodyBytes(res)).length).toBe(0);
  });
});

describe('range requests on blobs (RFC 9110, SHOULD)', () => {
  const repo = uniqueRepo('range');
  const data = randomBlob(100);
  let digest: string;

  beforeAll(async () => {
    digest = await pushBlob(base, repo, data);
  });

  const get = (range: string): Promise<Response> =>
    http(base, `/v2/${repo}/blobs/${digest}`, { headers: { range } });

  it('Range: bytes=a-b answers 206 with Content-Range and exactly those bytes', async () => {
    const res = await get('bytes=10-19');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 10-19/${data.length}`);
    expect(res.headers.get('content-length')).toBe('10');
    expect((await bodyBytes(res)).equals(data.subarray(10, 20))).toBe(true);
  });

  it('a single-byte range bytes=0-0 works', async () => {
    const res = await get('bytes=0-0');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-0/${data.length}`);
    expect((await bodyBytes(res)).equals(data.subarray(0, 1))).toBe(true);
  });

  it('an open-ended range bytes=a- returns the rest of the blob', async () => {
    const res = await get('bytes=90-');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 90-99/${data.length}`);
    expect((await bodyBytes(res)).equals(data.subarray(90))).toBe(true);
  });

  it('a suffix range bytes=-n returns the last n bytes', async () => {
    const res = await get('bytes=-5');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 95-99/${data.length}`);
    expect((await bodyBytes(res)).equals(data.subarray(95))).toBe(true);
  });

  it('a range whose end lies past the blob is clipped to the last byte', async () => {
    const res = await get('bytes=50-100000');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 50-99/${data.length}`);
    expect((await bodyBytes(res)).equals(data.subarray(50))).toBe(true);
  });

  it('an unsatisfiable range (starting past the end) answers 416', async () => {
    const res = await get(`bytes=${data.length}-${data.length + 10}`);
    expect(res.status).toBe(416);
    const cr = res.headers.get('content-range');
    if (cr !== null) expect(cr).toBe(`bytes */${data.length}`);
    await res.arrayBuffer();
  });

  it('the Docker-Content-Digest of a partial response is still the whole blob digest', async () => {
    const res = await get('bytes=0-9');
    expect(res.status).toBe(206);
    const d = res.headers.get('docker-content-digest');
    if (d !== null) expect(d).toBe(digest);
    await res.arrayBuffer();
  });

  it('a multi-range request is answered with the whole blob, a 206, or 416 — never a server error', async () => {
    const res = await get('bytes=0-1,5-6');
    expect([200, 206, 416]).toContain(res.status);
    if (res.status === 200) expect((await bodyBytes(res)).equals(data)).toBe(true);
    else await res.arrayBuffer();
  });

  it('HEAD with a Range header does not fail', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: { range: 'bytes=0-9' } });
    expect([200, 206]).toContain(res.status);
    expect((await bodyBytes(res)).length).toBe(0);
  });

  it('a malformed Range header is ignored or rejected, never a server error', async () => {
    const res = await get('bytes=zz-yy');
    expect([200, 206, 400, 416]).toContain(res.status);
    await res.arrayBuffer();
  });
});

describe('pulling manifests: GET /v2/<name>/manifests/<reference>', () => {
  const repo = uniqueRepo('pull-manifest');
  let image: PushedImage;

  beforeAll(async () => {
    // Pretty-printed, so a registry that re-serialises the JSON would be caught.
    image = await pushImage(base, repo, 'v1', { indent: 3 });
  });

  it('by tag: 200 with the exact bytes pushed', async () => {
    const res = await getManifest(base, repo, 'v1');
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(image.manifest.bytes)).toBe(true);
  });

  it('by digest: 200 with the exact bytes pushed', async () => {
    const res = await getManifest(base, repo, image.manifest.digest);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(image.manifest.bytes)).toBe(true);
  });

  it('MUST set Content-Type to the manifest media type (no parameters)', async () => {
    const res = await getManifest(base, repo, 'v1');
    expect(res.headers.get('content-type')).toBe(MT.ociManifest);
    await res.arrayBuffer();
  });

  it('MUST set Docker-Content-Digest to the digest of the returned manifest', async () => {
    for (const ref of ['v1', image.manifest.digest]) {
      const res = await getManifest(base, repo, ref);
      expect(res.headers.get('docker-content-digest')).toBe(image.manifest.digest);
      expect(sha256(await bodyBytes(res))).toBe(image.manifest.digest);
    }
  });

  it('sets Content-Length to the manifest size', async () => {
    const res = await getManifest(base, repo, 'v1');
    expect(res.headers.get('content-length')).toBe(String(image.manifest.bytes.length));
    await res.arrayBuffer();
  });

  it('HEAD by tag and by digest: 200, Content-Type, Docker-Content-Digest, Content-Length, no body', async () => {
    for (const ref of ['v1', image.manifest.digest]) {
      const res = await getManifest(base, repo, ref, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(MT.ociManifest);
      expect(res.headers.get('docker-content-digest')).toBe(image.manifest.digest);
      expect(res.headers.get('content-length')).toBe(String(image.manifest.bytes.length));
      expect((await bodyBytes(res)).length).toBe(0);
    }
  });

  it('a GET without an Accept header still returns an OCI manifest', async () => {
    const res = await http(base, `/v2/${repo}/manifests/v1`);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(image.manifest.bytes)).toBe(true);
  });

  it('an unknown tag MUST return 404 MANIFEST_UNKNOWN', async () => {
    const res = await getManifest(base, repo, 'no-such-tag');
    await expectError(res, 404, ['MANIFEST_UNKNOWN']);
  });

  it('an unknown digest MUST return 404 MANIFEST_UNKNOWN', async () => {
    const res = await getManifest(base, repo, sha256(randomBlob()));
    await expectError(res, 404, ['MANIFEST_UNKNOWN']);
  });

  it('HEAD of an unknown manifest returns 404 with no body', async () => {
    const res = await getManifest(base, repo, 'no-such-tag', 'HEAD');
    expect(res.status).toBe(404);
    expect((await bodyBytes(res)).length).toBe(0);
  });

  it('a manifest in a repository that does not exist returns 404 (NAME_UNKNOWN or MANIFEST_UNKNOWN)', async () => {
    const res = await getManifest(base, uniqueRepo('ghost'), 'latest');
    await expectError(res, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });

  it('tags and manifests are scoped to their repository', async () => {
    const other = uniqueRepo('pull-scope');
    await pushImage(base, other, 'other');
    const byTag = await getManifest(base, other, 'v1');
    await expectError(byTag, 404, ['MANIFEST_UNKNOWN']);
    const byDigest = await getManifest(base, other, image.manifest.digest);
    await expectError(byDigest, 404, ['MANIFEST_UNKNOWN']);
  });

  it('the manifest layers and config are pullable by the digests it names', async () => {
    const res = await http(base, `/v2/${repo}/blobs/${image.layer.descriptor.digest}`);
    expect((await bodyBytes(res)).equals(image.layer.bytes)).toBe(true);
    const cfg = await http(base, `/v2/${repo}/blobs/${image.config.descriptor.digest}`);
    expect((await bodyBytes(cfg)).equals(image.config.bytes)).toBe(true);
  });
});

describe('pulling each manifest media type with its own Content-Type', () => {
  const repo = uniqueRepo('media-types');

  it('OCI image index', async () => {
    const a = await pushImage(base, repo);
    const index = imageIndex({
      manifests: [{ ...a.manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } }],
    });
    await pushManifest(base, repo, 'index', index);
    const res = await getManifest(base, repo, 'index');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MT.ociIndex);
    expect(res.headers.get('docker-content-digest')).toBe(index.digest);
    expect((await bodyBytes(res)).equals(index.bytes)).toBe(true);
  });

  it('Docker schema 2 manifest and manifest list', async () => {
    const cfg = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', n: randomBlob(4).toString('hex') }));
    const layer = randomBlob(128);
    await pushBlob(base, repo, cfg);
    await pushBlob(base, repo, layer);
    const manifest = dockerManifest(descriptorOf(MT.dockerConfig, cfg), [descriptorOf(MT.dockerLayer, layer)]);
    await pushManifest(base, repo, 'docker', manifest);
    const res = await getManifest(base, repo, 'docker');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MT.dockerManifest);
    expect((await bodyBytes(res)).equals(manifest.bytes)).toBe(true);

    const list = dockerManifestList([{ ...manifest.descriptor, platform: { architecture: 'arm64', os: 'linux' } }]);
    await pushManifest(base, repo, 'docker-list', list);
    const res2 = await http(base, `/v2/${repo}/manifests/docker-list`, { headers: { accept: MANIFEST_ACCEPT } });
    expect(res2.status).toBe(200);
    expect(res2.headers.get('content-type')).toBe(MT.dockerManifestList);
    expect(res2.headers.get('docker-content-digest')).toBe(list.digest);
    expect((await bodyBytes(res2)).equals(list.bytes)).toBe(true);
  });

  it('a manifest without a mediaType field is served with the Content-Type it was pushed with', async () => {
    const cfg = randomBlob(20);
    await pushBlob(base, repo, cfg);
    const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, cfg), omitMediaType: true });
    await pushManifest(base, repo, 'no-media-type', manifest);
    const res = await getManifest(base, repo, 'no-media-type');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MT.ociManifest);
    expect((await bodyBytes(res)).equals(manifest.bytes)).toBe(true);
  });
});
