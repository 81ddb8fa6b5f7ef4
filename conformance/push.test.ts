/**
 * Push: blob uploads (monolithic, POST+PUT, chunked, streamed), upload sessions, cross-repository
 * mounts, sha512, and manifest pushes of every supported media type.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import {
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
  MT,
  artifactManifest,
  bodyBytes,
  descriptorOf,
  dockerManifest,
  dockerManifestList,
  expectError,
  getManifest,
  http,
  interruptedRequest,
  imageIndex,
  imageManifest,
  pushBlob,
  pushEmptyConfig,
  pushImage,
  pushManifest,
  putManifest,
  randomBlob,
  resolveUrl,
  sha256,
  sha512,
  startUpload,
  uniqueRepo,
  withQuery,
} from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

async function expectBlob(repo: string, digest: string, data: Buffer): Promise<void> {
  const res = await http(base, `/v2/${repo}/blobs/${digest}`);
  expect(res.status, `GET blob ${digest} in ${repo}`).toBe(200);
  expect((await bodyBytes(res)).equals(data)).toBe(true);
}

async function expectNoBlob(repo: string, digest: string): Promise<void> {
  const res = await http(base, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  expect(res.status, `HEAD blob ${digest} in ${repo}`).toBe(404);
}

function patchChunk(location: string, chunk: Buffer, start: number): Promise<Response> {
  return http(base, location, {
    method: 'PATCH',
    body: chunk,
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `${start}-${start + chunk.length - 1}`,
    },
  });
}

describe('starting an upload: POST /v2/<name>/blobs/uploads/', () => {
  const repo = uniqueRepo('post');

  it('MUST answer 202 Accepted with a Location header', async () => {
    const res = await http(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBeTruthy();
  });

  it('sets Docker-Upload-UUID and a Range header of the form 0-<n>', async () => {
    const res = await http(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('docker-upload-uuid')).toBeTruthy();
    expect(res.headers.get('range')).toMatch(/^0-\d+$/);
  });

  it('each POST opens a distinct session (a different Location)', async () => {
    const a = await startUpload(base, repo);
    const b = await startUpload(base, repo);
    expect(a).not.toBe(b);
  });

  it('the Location resolves (absolute or relative to the Hub) to an upload URL under /v2/<name>/', async () => {
    const location = await startUpload(base, repo);
    const url = new URL(resolveUrl(base, location));
    expect(url.pathname.startsWith(`/v2/${repo}/blobs/uploads/`)).toBe(true);
  });
});

describe('pushing a blob monolithically', () => {
  const repo = uniqueRepo('mono');

  it('single POST with ?digest= and the body MUST answer 201 with the blob Location', async () => {
    const data = randomBlob(500);
    const digest = sha256(data);
    const res = await http(base, `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    // The spec lets a registry fall back to 202 (then PUT); the Hub is specified to support 201.
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    const location = res.headers.get('location');
    expect(location).toBeTruthy();
    // "<blob-location> is a pullable blob URL"
    const pulled = await http(base, location as string);
    expect(pulled.status).toBe(200);
    expect((await bodyBytes(pulled)).equals(data)).toBe(true);
  });

  it('single POST with a digest that does not match the body: 400 DIGEST_INVALID, nothing stored', async () => {
    const data = randomBlob(64);
    const claimed = sha256(randomBlob(64));
    const res = await http(base, `/v2/${repo}/blobs/uploads/?digest=${claimed}`, {
      method: 'POST',
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expectError(res, 400, ['DIGEST_INVALID']);
    await expectNoBlob(repo, claimed);
    await expectNoBlob(repo, sha256(data));
  });

  it('POST then PUT <location>?digest= with the body MUST answer 201 with Location and Docker-Content-Digest', async () => {
    const data = randomBlob(700);
    const digest = sha256(data);
    const location = await startUpload(base, repo);
    const res = await http(base, withQuery(location, { digest }), {
      method: 'PUT',
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    const blobLocation = res.headers.get('location');
    expect(blobLocation).toBeTruthy();
    const pulled = await http(base, blobLocation as string);
    expect((await bodyBytes(pulled)).equals(data)).toBe(true);
  });

  it('pushing a blob that already exists succeeds again (201)', async () => {
    const data = randomBlob(50);
    await pushBlob(base, repo, data);
    await pushBlob(base, repo, data);
    await expectBlob(repo, sha256(data), data);
  });

  it('two concurrent uploads of the same content both succeed', async () => {
    const data = randomBlob(4096);
    await Promise.all([pushBlob(base, repo, data), pushBlob(base, repo, data)]);
    await expectBlob(repo, sha256(data), data);
  });

  it('final PUT with a mismatching digest: 400 DIGEST_INVALID; neither digest becomes available', async () => {
    const data = randomBlob(128);
    const claimed = sha256(randomBlob(128));
    const location = await startUpload(base, repo);
    const res = await http(base, withQuery(location, { digest: claimed }), {
      method: 'PUT',
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expectError(res, 400, ['DIGEST_INVALID']);
    await expectNoBlob(repo, claimed);
    await expectNoBlob(repo, sha256(data));
  });

  it('final PUT without a digest parameter is rejected with 400 (DIGEST_INVALID)', async () => {
    const location = await startUpload(base, repo);
    const res = await http(base, location, { method: 'PUT', body: randomBlob(10) });
    await expectError(res, 400, ['DIGEST_INVALID']);
  });

  it('final PUT with a syntactically invalid digest is rejected with 400 DIGEST_INVALID', async () => {
    const location = await startUpload(base, repo);
    const res = await http(base, withQuery(location, { digest: 'sha256:nothex' }), {
      method: 'PUT',
      body: randomBlob(10),
    });
    await expectError(res, 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
  });

  it('a completed upload session is gone: GET on it answers 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const data = randomBlob(10);
    const location = await startUpload(base, repo);
    const put = await http(base, withQuery(location, { digest: sha256(data) }), { method: 'PUT', body: data });
    expect(put.status).toBe(201);
    const res = await http(base, location);
    await expectError(res, 404, ['BLOB_UPLOAD_UNKNOWN']);
  });
});

describe('pushing a blob in chunks (PATCH)', () => {
  const repo = uniqueRepo('chunked');

  it('each in-order chunk answers 202 with Location and Range: 0-<last byte>; PUT closes with 201', async () => {
    const data = randomBlob(3000);
    let location = await startUpload(base, repo);
    const parts = [data.subarray(0, 1000), data.subarray(1000, 2500), data.subarray(2500)];
    let offset = 0;
    for (const part of parts) {
      const res = await patchChunk(location, part, offset);
      expect(res.status).toBe(202);
      offset += part.length;
      expect(res.headers.get('range')).toBe(`0-${offset - 1}`);
      const next = res.headers.get('location');
      expect(next).toBeTruthy();
      location = next as string; // "SHOULD use the <location> provided in the response"
      await res.arrayBuffer();
    }
    const digest = sha256(data);
    const put = await http(base, withQuery(location, { digest }), { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBeTruthy();
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    await expectBlob(repo, digest, data);
  });

  it('the final chunk MAY travel in the closing PUT', async () => {
    const data = randomBlob(2000);
    const location = await startUpload(base, repo);
    const first = await patchChunk(location, data.subarray(0, 1200), 0);
    expect(first.status).toBe(202);
    const next = first.headers.get('location') as string;
    const put = await http(base, withQuery(next, { digest: sha256(data) }), {
      method: 'PUT',
      body: data.subarray(1200),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `1200-${data.length - 1}` },
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('GET <location> answers 204 with Location and the Range received so far', async () => {
    const data = randomBlob(500);
    const location = await startUpload(base, repo);
    const patch = await patchChunk(location, data.subarray(0, 300), 0);
    expect(patch.status).toBe(202);
    const loc = patch.headers.get('location') as string;
    const status = await http(base, loc);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-299');
    expect(status.headers.get('location')).toBeTruthy();
    expect((await bodyBytes(status)).length).toBe(0);
  });

  it('an out-of-order chunk (leaving a gap) MUST answer 416, with the current Range', async () => {
    const data = randomBlob(400);
    const location = await startUpload(base, repo);
    const first = await patchChunk(location, data.subarray(0, 100), 0);
    expect(first.status).toBe(202);
    const loc = first.headers.get('location') as string;
    const gap = await patchChunk(loc, data.subarray(200, 300), 200);
    expect(gap.status).toBe(416);
    expect(gap.headers.get('range')).toBe('0-99');
    await gap.arrayBuffer();
    // The session survives: the status still shows 100 bytes, and the upload can finish.
    const status = await http(base, loc);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-99');
    const rest = await patchChunk(status.headers.get('location') as string, data.subarray(100), 100);
    expect(rest.status).toBe(202);
    const put = await http(base, withQuery(rest.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('an overlapping chunk MUST answer 416, with the current Range', async () => {
    const data = randomBlob(300);
    const location = await startUpload(base, repo);
    const first = await patchChunk(location, data.subarray(0, 200), 0);
    expect(first.status).toBe(202);
    const loc = first.headers.get('location') as string;
    const overlap = await patchChunk(loc, data.subarray(150), 150);
    expect(overlap.status).toBe(416);
    expect(overlap.headers.get('range')).toBe('0-199');
    await overlap.arrayBuffer();
  });

  it('a first chunk that does not start at 0 MUST answer 416', async () => {
    const location = await startUpload(base, repo);
    const res = await patchChunk(location, randomBlob(10), 5);
    expect(res.status).toBe(416);
    await res.arrayBuffer();
  });

  it('a Content-Range that disagrees with the body length is rejected (400 or 416)', async () => {
    const location = await startUpload(base, repo);
    const res = await http(base, location, {
      method: 'PATCH',
      body: randomBlob(10),
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-19' },
    });
    expect([400, 416]).toContain(res.status);
    await res.arrayBuffer();
  });

  it('a streamed PATCH without Content-Range appends the whole body (chunked transfer encoding)', async () => {
    const data = randomBlob(64 * 1024 + 3);
    const location = await startUpload(base, repo);
    const pieces = [data.subarray(0, 20_000), data.subarray(20_000, 50_000), data.subarray(50_000)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(new Uint8Array(p));
        controller.close();
      },
    });
    const res = await http(base, location, {
      method: 'PATCH',
      body: stream,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('range')).toBe(`0-${data.length - 1}`);
    const put = await http(base, withQuery(res.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('two streamed PATCHes without Content-Range append one after the other', async () => {
    const data = randomBlob(1000);
    const location = await startUpload(base, repo);
    const a = await http(base, location, { method: 'PATCH', body: data.subarray(0, 400) });
    expect(a.status).toBe(202);
    expect(a.headers.get('range')).toBe('0-399');
    const b = await http(base, a.headers.get('location') as string, { method: 'PATCH', body: data.subarray(400) });
    expect(b.status).toBe(202);
    expect(b.headers.get('range')).toBe('0-999');
    const put = await http(base, withQuery(b.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('chunked upload whose final digest does not match: 400 DIGEST_INVALID, blob unavailable under either digest', async () => {
    const data = randomBlob(256);
    const claimed = sha256(randomBlob(256));
    const location = await startUpload(base, repo);
    const patch = await patchChunk(location, data, 0);
    expect(patch.status).toBe(202);
    const put = await http(base, withQuery(patch.headers.get('location') as string, { digest: claimed }), {
      method: 'PUT',
    });
    await expectError(put, 400, ['DIGEST_INVALID']);
    await expectNoBlob(repo, claimed);
    await expectNoBlob(repo, sha256(data));
  });

  it('the Location URLs are followed exactly as returned, query string included', async () => {
    // Every step uses the previous response's Location verbatim (only `digest` is added at the end).
    const data = randomBlob(90);
    const post = await http(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    let location = post.headers.get('location') as string;
    for (let i = 0; i < 3; i++) {
      const res = await patchChunk(location, data.subarray(i * 30, i * 30 + 30), i * 30);
      expect(res.status).toBe(202);
      location = res.headers.get('location') as string;
      const status = await http(base, location);
      expect(status.status).toBe(204);
      location = status.headers.get('location') as string;
    }
    const put = await http(base, withQuery(location, { digest: sha256(data) }), { method: 'PUT' });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });
});

describe('upload sessions: cancel and unknown ids', () => {
  const repo = uniqueRepo('sessions');

  it('DELETE <location> answers 204; the session is then unknown (404 BLOB_UPLOAD_UNKNOWN)', async () => {
    const location = await startUpload(base, repo);
    const patch = await patchChunk(location, randomBlob(10), 0);
    expect(patch.status).toBe(202);
    const del = await http(base, location, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const res = await http(base, location);
    await expectError(res, 404, ['BLOB_UPLOAD_UNKNOWN']);
  });

  it('GET, PATCH, PUT and DELETE on an unknown upload id answer 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const unknown = `/v2/${repo}/blobs/uploads/00000000-0000-4000-8000-000000000000`;
    await expectError(await http(base, unknown), 404, ['BLOB_UPLOAD_UNKNOWN']);
    await expectError(
      await http(base, unknown, { method: 'PATCH', body: randomBlob(4), headers: { 'content-range': '0-3' } }),
      404,
      ['BLOB_UPLOAD_UNKNOWN'],
    );
    const data = randomBlob(4);
    await expectError(
      await http(base, `${unknown}?digest=${sha256(data)}`, { method: 'PUT', body: data }),
      404,
      ['BLOB_UPLOAD_UNKNOWN'],
    );
    await expectError(await http(base, unknown, { method: 'DELETE' }), 404, ['BLOB_UPLOAD_UNKNOWN']);
  });

  it('an upload id that is not even UUID-shaped answers 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const res = await http(base, `/v2/${repo}/blobs/uploads/not-a-real-upload`);
    await expectError(res, 404, ['BLOB_UPLOAD_UNKNOWN']);
  });

  it('an upload session belongs to its repository: used under another repository it is unknown', async () => {
    const location = await startUpload(base, repo);
    const url = new URL(resolveUrl(base, location));
    const other = uniqueRepo('sessions-other');
    url.pathname = url.pathname.replace(`/v2/${repo}/`, `/v2/${other}/`);
    const res = await http(base, url.toString());
    await expectError(res, 404, ['BLOB_UPLOAD_UNKNOWN', 'NAME_UNKNOWN']);
  });
});

describe('sha512 digests, end to end', () => {
  const repo = uniqueRepo('sha512');

  it('monolithic POST+PUT with a sha512 digest; GET and HEAD by that digest', async () => {
    const data = randomBlob(1000);
    const digest = sha512(data);
    await pushBlob(base, repo, data, digest);
    const res = await http(base, `/v2/${repo}/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect((await bodyBytes(res)).equals(data)).toBe(true);
    const head = await http(base, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
  });

  it('single-POST upload with a sha512 digest', async () => {
    const data = randomBlob(100);
    const digest = sha512(data);
    const res = await http(base, `/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data });
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    await expectBlob(repo, digest, data);
  });

  it('chunked upload closed with a sha512 digest', async () => {
    const data = randomBlob(600);
    const digest = sha512(data);
    const location = await startUpload(base, repo);
    const a = await patchChunk(location, data.subarray(0, 250), 0);
    expect(a.status).toBe(202);
    const b = await patchChunk(a.headers.get('location') as string, data.subarray(250), 250);
    expect(b.status).toBe(202);
    const put = await http(base, withQuery(b.headers.get('location') as string, { digest }), { method: 'PUT' });
    expect(put.status).toBe(201);
    await expectBlob(repo, digest, data);
  });

  it('a sha512 digest that does not match is rejected with 400 DIGEST_INVALID', async () => {
    const data = randomBlob(100);
    const location = await startUpload(base, repo);
    const res = await http(base, withQuery(location, { digest: sha512(randomBlob(100)) }), {
      method: 'PUT',
      body: data,
    });
    await expectError(res, 400, ['DIGEST_INVALID']);
  });

  it('a manifest referencing sha512 blobs, pushed and pulled by its sha512 digest', async () => {
    const cfg = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', n: randomBlob(4).toString('hex') }));
    const layer = randomBlob(300);
    await pushBlob(base, repo, cfg, sha512(cfg));
    await pushBlob(base, repo, layer, sha512(layer));
    const manifest = imageManifest({
      config: { mediaType: MT.ociConfig, digest: sha512(cfg), size: cfg.length },
      layers: [{ mediaType: MT.ociLayer, digest: sha512(layer), size: layer.length }],
    });
    const digest = sha512(manifest.bytes);
    const put = await putManifest(base, repo, digest, manifest.bytes, MT.ociManifest);
    expect(put.status, await put.clone().text()).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    const res = await getManifest(base, repo, digest);
    expect(res.status).toBe(200);
    expect((await bodyBytes(res)).equals(manifest.bytes)).toBe(true);
  });
});

describe('mounting a blob from another repository', () => {
  const from = uniqueRepo('mount-from');
  const to = uniqueRepo('mount-to');
  const data = randomBlob(512);
  let digest: string;

  beforeAll(async () => {
    digest = await pushBlob(base, from, data);
  });

  it('POST ?mount=<digest>&from=<repo> MUST answer 201 with Location when the blob exists in from', async () => {
    await expectNoBlob(to, digest);
    const res = await http(base, `/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
    expect(res.status).toBe(201);
    const location = res.headers.get('location');
    expect(location).toBeTruthy();
    const dcd = res.headers.get('docker-content-digest');
    if (dcd !== null) expect(dcd).toBe(digest);
    const pulled = await http(base, location as string);
    expect((await bodyBytes(pulled)).equals(data)).toBe(true);
    await expectBlob(to, digest, data);
  });

  it('when the blob is not in from, the mount SHOULD fall back to 202 and a usable upload session', async () => {
    const missing = randomBlob(77);
    const target = uniqueRepo('mount-miss');
    const res = await http(base, `/v2/${target}/blobs/uploads/?mount=${sha256(missing)}&from=${from}`, {
      method: 'POST',
    });
    expect(res.status).toBe(202);
    const location = res.headers.get('location') as string;
    expect(location).toBeTruthy();
    const put = await http(base, withQuery(location, { digest: sha256(missing) }), { method: 'PUT', body: missing });
    expect(put.status).toBe(201);
    await expectBlob(target, sha256(missing), missing);
  });

  it('mounting from a repository that does not exist falls back to 202', async () => {
    const target = uniqueRepo('mount-ghost');
    const res = await http(base, `/v2/${target}/blobs/uploads/?mount=${digest}&from=${uniqueRepo('ghost')}`, {
      method: 'POST',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBeTruthy();
  });

  it('mount without from, of a blob the Hub already holds, is mounted automatically (201)', async () => {
    const target = uniqueRepo('mount-auto');
    const res = await http(base, `/v2/${target}/blobs/uploads/?mount=${digest}`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBeTruthy();
    await expectBlob(target, digest, data);
  });

  it('mount without from, of a blob nobody holds, answers 202', async () => {
    const target = uniqueRepo('mount-auto-miss');
    const res = await http(base, `/v2/${target}/blobs/uploads/?mount=${sha256(randomBlob())}`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBeTruthy();
  });

  it('a mounted blob can be used by a manifest pushed to the target repository', async () => {
    const target = uniqueRepo('mount-use');
    const cfg = randomBlob(40);
    await pushBlob(base, from, cfg);
    for (const d of [digest, sha256(cfg)]) {
      const res = await http(base, `/v2/${target}/blobs/uploads/?mount=${d}&from=${from}`, { method: 'POST' });
      expect(res.status).toBe(201);
    }
    const manifest = imageManifest({
      config: descriptorOf(MT.ociConfig, cfg),
      layers: [descriptorOf(MT.ociLayer, data)],
    });
    await pushManifest(base, target, 'mounted', manifest);
  });

  it('a mount with an invalid digest is rejected with 400 DIGEST_INVALID (or falls back to 202)', async () => {
    const res = await http(base, `/v2/${to}/blobs/uploads/?mount=sha256:xyz&from=${from}`, { method: 'POST' });
    if (res.status === 202) {
      expect(res.headers.get('location')).toBeTruthy();
    } else {
      await expectError(res, 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
    }
  });
});

describe('pushing manifests: PUT /v2/<name>/manifests/<reference>', () => {
  const repo = uniqueRepo('push-manifest');

  it('by tag: 201 with Location and Docker-Content-Digest', async () => {
    const img = await pushImage(base, repo);
    const res = await putManifest(base, repo, 'tagged', img.manifest.bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(img.manifest.digest);
    const location = res.headers.get('location');
    expect(location).toBeTruthy();
    // "<location> is a pullable URL for the manifest"
    const pulled = await http(base, location as string, { headers: { accept: MT.ociManifest } });
    expect(pulled.status).toBe(200);
    expect((await bodyBytes(pulled)).equals(img.manifest.bytes)).toBe(true);
  });

  it('by digest: 201 with Location and Docker-Content-Digest; no tag is created', async () => {
    const r = uniqueRepo('push-by-digest');
    const cfg = randomBlob(30);
    await pushBlob(base, r, cfg);
    const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, cfg) });
    const res = await putManifest(base, r, manifest.digest, manifest.bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
    expect(res.headers.get('location')).toBeTruthy();
    const got = await getManifest(base, r, manifest.digest);
    expect((await bodyBytes(got)).equals(manifest.bytes)).toBe(true);
    const tags = await http(base, `/v2/${r}/tags/list`);
    expect(tags.status).toBe(200);
    const body = (await tags.json()) as { tags: string[] | null };
    expect(body.tags ?? []).toEqual([]);
  });

  it('the registry MUST store the manifest byte for byte (whitespace and key order kept)', async () => {
    const cfg = randomBlob(30);
    await pushBlob(base, repo, cfg);
    const d = descriptorOf(MT.ociConfig, cfg);
    const text = `{\n\t"layers" : [ ],\n  "config": {"size": ${d.size}, "digest": "${d.digest}", "mediaType": "${d.mediaType}"},\n  "mediaType": "${MT.ociManifest}",   "schemaVersion": 2\n}\n`;
    const bytes = Buffer.from(text);
    const res = await putManifest(base, repo, 'odd-format', bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(sha256(bytes));
    const got = await getManifest(base, repo, 'odd-format');
    expect((await bodyBytes(got)).equals(bytes)).toBe(true);
  });

  it('re-pointing a tag: the tag follows the newest manifest, the old one stays pullable by digest', async () => {
    const a = await pushImage(base, repo, 'moving');
    const b = await pushImage(base, repo, 'moving');
    const res = await getManifest(base, repo, 'moving');
    expect(res.headers.get('docker-content-digest')).toBe(b.manifest.digest);
    await res.arrayBuffer();
    const old = await getManifest(base, repo, a.manifest.digest);
    expect(old.status).toBe(200);
    expect((await bodyBytes(old)).equals(a.manifest.bytes)).toBe(true);
  });

  it('pushing the same manifest again (same tag) is idempotent: 201', async () => {
    const img = await pushImage(base, repo, 'same');
    await pushManifest(base, repo, 'same', img.manifest);
  });

  it('a Content-Type with parameters is accepted; the parameters are not echoed back', async () => {
    const cfg = randomBlob(30);
    await pushBlob(base, repo, cfg);
    const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, cfg) });
    const res = await putManifest(base, repo, 'params', manifest.bytes, `${MT.ociManifest}; charset=utf-8`);
    expect(res.status).toBe(201);
    const got = await getManifest(base, repo, 'params');
    expect(got.headers.get('content-type')).toBe(MT.ociManifest);
  });

  it('a tag of the maximum length (128 characters) is accepted', async () => {
    const tag = `a${'b'.repeat(126)}Z`;
    expect(tag.length).toBe(128);
    const img = await pushImage(base, repo);
    await pushManifest(base, repo, tag, img.manifest);
    const res = await getManifest(base, repo, tag);
    expect(res.status).toBe(200);
  });

  it('tags with every allowed character class are accepted (_, ., -, digits, mixed case)', async () => {
    const img = await pushImage(base, repo);
    for (const tag of ['_underscore', '0.1.2', 'v1-rc_2.final', 'MiXeD']) {
      await pushManifest(base, repo, tag, img.manifest);
      const res = await getManifest(base, repo, tag, 'HEAD');
      expect(res.status, tag).toBe(200);
    }
  });

  it('a manifest pushed to a new repository creates that repository (nested names too)', async () => {
    const nested = `${uniqueRepo('deep')}/a/b/c`;
    const img = await pushImage(base, nested, 'latest');
    const res = await getManifest(base, nested, 'latest');
    expect((await bodyBytes(res)).equals(img.manifest.bytes)).toBe(true);
  });
});

describe('pushing each manifest media type', () => {
  const repo = uniqueRepo('push-types');

  it('OCI image index referencing manifests present in the repository: 201', async () => {
    const a = await pushImage(base, repo);
    const b = await pushImage(base, repo);
    const index = imageIndex({
      manifests: [
        { ...a.manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
        { ...b.manifest.descriptor, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    const res = await putManifest(base, repo, 'multi', index.bytes, MT.ociIndex);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(index.digest);
    const got = await getManifest(base, repo, 'multi');
    expect(got.headers.get('content-type')).toBe(MT.ociIndex);
  });

  it('an index of indexes (nested) is accepted', async () => {
    const a = await pushImage(base, repo);
    const inner = imageIndex({ manifests: [a.manifest.descriptor] });
    await pushManifest(base, repo, inner.digest, inner);
    const outer = imageIndex({ manifests: [inner.descriptor] });
    await pushManifest(base, repo, 'nested', outer);
  });

  it('Docker schema 2 manifest: 201, served with its media type', async () => {
    const cfg = randomBlob(40);
    const layer = randomBlob(40);
    await pushBlob(base, repo, cfg);
    await pushBlob(base, repo, layer);
    const m = dockerManifest(descriptorOf(MT.dockerConfig, cfg), [descriptorOf(MT.dockerLayer, layer)]);
    const res = await putManifest(base, repo, 'docker', m.bytes, MT.dockerManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(m.digest);
    const got = await getManifest(base, repo, 'docker');
    expect(got.headers.get('content-type')).toBe(MT.dockerManifest);

    const list = dockerManifestList([{ ...m.descriptor, platform: { architecture: 'amd64', os: 'linux' } }]);
    const res2 = await putManifest(base, repo, 'docker-list', list.bytes, MT.dockerManifestList);
    expect(res2.status).toBe(201);
    const got2 = await getManifest(base, repo, 'docker-list');
    expect(got2.headers.get('content-type')).toBe(MT.dockerManifestList);
  });

  it('artifact manifest (artifactType, empty config {} of size 2): 201', async () => {
    await pushEmptyConfig(base, repo);
    const head = await http(base, `/v2/${repo}/blobs/${EMPTY_JSON_DIGEST}`);
    expect((await bodyBytes(head)).equals(EMPTY_JSON)).toBe(true);
    const payload = randomBlob(90);
    await pushBlob(base, repo, payload);
    const art = artifactManifest({
      artifactType: 'application/vnd.example.thing.v1',
      layers: [descriptorOf('application/vnd.example.thing.layer.v1', payload)],
    });
    const res = await putManifest(base, repo, 'artifact', art.bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    const got = await getManifest(base, repo, 'artifact');
    expect((await bodyBytes(got)).equals(art.bytes)).toBe(true);
  });

  it('an image manifest with a custom config mediaType is accepted', async () => {
    const cfg = randomBlob(20);
    await pushBlob(base, repo, cfg);
    const m = imageManifest({ config: descriptorOf('application/vnd.example.config.v1+json', cfg) });
    await pushManifest(base, repo, 'custom-config', m);
  });
});

describe('manifest references and subject', () => {
  const repo = uniqueRepo('refs');

  it('a manifest naming a blob missing from the repository: 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const cfg = randomBlob(30);
    await pushBlob(base, repo, cfg);
    const m = imageManifest({
      config: descriptorOf(MT.ociConfig, cfg),
      layers: [descriptorOf(MT.ociLayer, randomBlob(30))],
    });
    const res = await putManifest(base, repo, 'missing-layer', m.bytes, MT.ociManifest);
    await expectError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
    const got = await getManifest(base, repo, 'missing-layer');
    expect(got.status).toBe(404);
  });

  it('a missing config blob is MANIFEST_BLOB_UNKNOWN too', async () => {
    const m = imageManifest({ config: descriptorOf(MT.ociConfig, randomBlob(30)) });
    const res = await putManifest(base, repo, 'missing-config', m.bytes, MT.ociManifest);
    await expectError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
  });

  it('a blob that exists only in another repository counts as missing (MANIFEST_BLOB_UNKNOWN)', async () => {
    const other = uniqueRepo('refs-other');
    const cfg = randomBlob(30);
    await pushBlob(base, other, cfg);
    const m = imageManifest({ config: descriptorOf(MT.ociConfig, cfg) });
    const res = await putManifest(base, repo, 'foreign-blob', m.bytes, MT.ociManifest);
    await expectError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
  });

  it('an index naming a child manifest missing from the repository: 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const ghost = imageManifest({ config: descriptorOf(MT.ociConfig, randomBlob(10)) });
    const index = imageIndex({ manifests: [ghost.descriptor] });
    const res = await putManifest(base, repo, 'missing-child', index.bytes, MT.ociIndex);
    await expectError(res, 400, ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });

  it('a subject naming a manifest that does not exist MUST be accepted (201) with OCI-Subject', async () => {
    const ghost = imageManifest({ config: descriptorOf(MT.ociConfig, randomBlob(10)) });
    await pushEmptyConfig(base, repo);
    const art = artifactManifest({ artifactType: 'application/vnd.example.sig.v1', subject: ghost.descriptor });
    const res = await putManifest(base, repo, art.digest, art.bytes, MT.ociManifest);
    expect(res.status, await res.clone().text()).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(ghost.digest);
  });

  it('a subject naming an existing manifest: 201 with OCI-Subject set to the subject digest', async () => {
    const img = await pushImage(base, repo, 'subject-target');
    await pushEmptyConfig(base, repo);
    const art = artifactManifest({ artifactType: 'application/vnd.example.sig.v1', subject: img.manifest.descriptor });
    const res = await putManifest(base, repo, art.digest, art.bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(img.manifest.digest);
  });

  it('a manifest with no subject carries no OCI-Subject header', async () => {
    const img = await pushImage(base, repo);
    const res = await putManifest(base, repo, 'no-subject', img.manifest.bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBeNull();
  });
});

describe('manifest size limit', () => {
  const repo = uniqueRepo('size');

  /** An image manifest padded (through an annotation) to exactly `size` bytes. */
  function padded(config: Buffer, size: number): Buffer {
    const base = imageManifest({ config: descriptorOf(MT.ociConfig, config), annotations: { pad: '' } });
    const fill = size - base.bytes.length;
    const m = imageManifest({ config: descriptorOf(MT.ociConfig, config), annotations: { pad: 'x'.repeat(fill) } });
    expect(m.bytes.length).toBe(size);
    return m.bytes;
  }

  it('a manifest of exactly 4 MiB is accepted (registries SHOULD support at least 4 MiB)', async () => {
    const cfg = randomBlob(16);
    await pushBlob(base, repo, cfg);
    const bytes = padded(cfg, 4 * 1024 * 1024);
    const res = await putManifest(base, repo, 'four-mib', bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    const got = await getManifest(base, repo, 'four-mib');
    expect(sha256(await bodyBytes(got))).toBe(sha256(bytes));
  });

  it('a manifest over 4 MiB answers 413 (MANIFEST_INVALID or SIZE_INVALID)', async () => {
    const cfg = randomBlob(16);
    await pushBlob(base, repo, cfg);
    const bytes = padded(cfg, 4 * 1024 * 1024 + 1);
    const res = await putManifest(base, repo, 'too-big', bytes, MT.ociManifest);
    await expectError(res, 413, ['MANIFEST_INVALID', 'SIZE_INVALID']);
    const got = await getManifest(base, repo, 'too-big');
    expect(got.status).toBe(404);
  });
});

describe('resumable push: interrupted and concurrent chunks', () => {
  const repo = uniqueRepo('resume');

  async function uploadedEnd(location: string): Promise<{ end: number; location: string }> {
    const status = await http(base, location);
    expect(status.status).toBe(204);
    const range = status.headers.get('range') as string;
    expect(range).toMatch(/^0-\d+$/);
    return { end: Number(range.split('-')[1]), location: status.headers.get('location') ?? location };
  }

  it('a PATCH whose connection drops mid-body leaves a consistent offset the client can resume from', async () => {
    const data = randomBlob(64 * 1024);
    const location = await startUpload(base, repo);
    const first = await patchChunk(location, data.subarray(0, 1000), 0);
    expect(first.status).toBe(202);
    const loc = first.headers.get('location') as string;

    // Announce 20000 bytes, send 5000, drop the connection.
    await interruptedRequest(
      base,
      'PATCH',
      loc,
      { 'content-type': 'application/octet-stream', 'content-range': `1000-20999` },
      data.subarray(1000, 6000),
      20000,
    );

    const { end, location: resumeAt } = await uploadedEnd(loc);
    // Whatever the Hub kept is a prefix of what was sent: at least the acknowledged chunk.
    expect(end).toBeGreaterThanOrEqual(999);
    expect(end).toBeLessThanOrEqual(5999);

    const rest = await patchChunk(resumeAt, data.subarray(end + 1), end + 1);
    expect(rest.status).toBe(202);
    expect(rest.headers.get('range')).toBe(`0-${data.length - 1}`);
    const put = await http(base, withQuery(rest.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('a streamed PATCH (no Content-Range) that drops mid-body also leaves a resumable offset', async () => {
    const data = randomBlob(32 * 1024);
    const location = await startUpload(base, repo);
    const first = await http(base, location, { method: 'PATCH', body: data.subarray(0, 500) });
    expect(first.status).toBe(202);
    const loc = first.headers.get('location') as string;
    await interruptedRequest(base, 'PATCH', loc, {}, data.subarray(500, 3000), 10000);
    const { end, location: resumeAt } = await uploadedEnd(loc);
    expect(end).toBeGreaterThanOrEqual(499);
    expect(end).toBeLessThanOrEqual(2999);
    const rest = await patchChunk(resumeAt, data.subarray(end + 1), end + 1);
    expect(rest.status).toBe(202);
    const put = await http(base, withQuery(rest.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('two concurrent PATCHes of the same range: at most one is accepted, the other answers 416; the blob is intact', async () => {
    const data = randomBlob(50_000);
    const location = await startUpload(base, repo);
    const results = await Promise.all([
      patchChunk(location, data.subarray(0, 25_000), 0),
      patchChunk(location, data.subarray(0, 25_000), 0),
    ]);
    const statuses = results.map((r) => r.status).sort();
    for (const r of results) await r.arrayBuffer();
    // Exactly one wins; the loser sees 416 (or a 4xx "upload busy"), never a second 202.
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.find((s) => s !== 202)).toBeGreaterThanOrEqual(400);
    const { end, location: loc } = await uploadedEnd(location);
    expect(end).toBe(24_999);
    const rest = await patchChunk(loc, data.subarray(25_000), 25_000);
    expect(rest.status).toBe(202);
    const put = await http(base, withQuery(rest.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
    });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(data), data);
  });

  it('a closing PUT whose Content-Range does not continue the upload answers 416', async () => {
    const data = randomBlob(200);
    const location = await startUpload(base, repo);
    const first = await patchChunk(location, data.subarray(0, 100), 0);
    expect(first.status).toBe(202);
    const put = await http(base, withQuery(first.headers.get('location') as string, { digest: sha256(data) }), {
      method: 'PUT',
      body: data.subarray(150),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `150-199` },
    });
    expect(put.status).toBe(416);
    await put.arrayBuffer();
    await expectNoBlob(repo, sha256(data));
  });

  it('an unfinished upload is not visible as a blob, nor usable by a manifest', async () => {
    const data = randomBlob(300);
    const location = await startUpload(base, repo);
    const patch = await patchChunk(location, data, 0);
    expect(patch.status).toBe(202);
    await expectNoBlob(repo, sha256(data));
    const m = imageManifest({ config: descriptorOf(MT.ociConfig, data) });
    await expectError(await putManifest(base, repo, 'half', m.bytes, MT.ociManifest), 400, ['MANIFEST_BLOB_UNKNOWN']);
  });

  it('an empty blob can be pushed with POST then a body-less PUT', async () => {
    const empty = Buffer.alloc(0);
    const location = await startUpload(base, repo);
    const put = await http(base, withQuery(location, { digest: sha256(empty) }), { method: 'PUT' });
    expect(put.status).toBe(201);
    await expectBlob(repo, sha256(empty), empty);
  });

  it('a PATCH to a cancelled session answers 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const location = await startUpload(base, repo);
    expect((await http(base, location, { method: 'DELETE' })).status).toBe(204);
    const res = await patchChunk(location, randomBlob(10), 0);
    await expectError(res, 404, ['BLOB_UPLOAD_UNKNOWN']);
  });

  it('concurrent pushes of different manifests to the same tag all succeed; the tag ends on one of them', async () => {
    const images = await Promise.all([1, 2, 3].map(() => pushImage(base, repo)));
    const results = await Promise.all(
      images.map((img) => putManifest(base, repo, 'race', img.manifest.bytes, MT.ociManifest)),
    );
    for (const r of results) expect(r.status).toBe(201);
    const res = await getManifest(base, repo, 'race');
    expect(images.map((i) => i.manifest.digest)).toContain(res.headers.get('docker-content-digest'));
    const tags = await http(base, `/v2/${repo}/tags/list`);
    const list = ((await tags.json()) as { tags: string[] }).tags;
    expect(list.filter((t) => t === 'race')).toHaveLength(1);
  });
});

describe('manifest content fidelity', () => {
  const repo = uniqueRepo('fidelity');

  it('non-ASCII annotations are stored and served byte for byte', async () => {
    const cfg = randomBlob(20);
    await pushBlob(base, repo, cfg);
    const m = imageManifest({
      config: descriptorOf(MT.ociConfig, cfg),
      annotations: { 'org.example.text': 'héllo ✓ 日本語 \u{1F433}', 'org.example.escaped': '\u00e9\n\t"' },
    });
    await pushManifest(base, repo, 'unicode', m);
    const res = await getManifest(base, repo, 'unicode');
    expect(res.headers.get('docker-content-digest')).toBe(m.digest);
    expect((await bodyBytes(res)).equals(m.bytes)).toBe(true);
  });

  it('the Location of a manifest pushed by digest is pullable', async () => {
    const img = await pushImage(base, repo);
    const res = await putManifest(base, repo, img.manifest.digest, img.manifest.bytes, MT.ociManifest);
    expect(res.status).toBe(201);
    const pulled = await http(base, res.headers.get('location') as string, { headers: { accept: MT.ociManifest } });
    expect(pulled.status).toBe(200);
    expect((await bodyBytes(pulled)).equals(img.manifest.bytes)).toBe(true);
  });

  it('a blob digest is not a manifest: GET /manifests/<layer digest> answers 404 MANIFEST_UNKNOWN', async () => {
    const img = await pushImage(base, repo);
    const res = await getManifest(base, repo, img.layer.descriptor.digest);
    await expectError(res, 404, ['MANIFEST_UNKNOWN']);
  });

  it('a far oversized manifest (10 MiB) is refused with 413 without trouble', async () => {
    const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const res = await putManifest(base, repo, 'huge', body, MT.ociManifest);
    await expectError(res, 413, ['MANIFEST_INVALID', 'SIZE_INVALID']);
  });
});
