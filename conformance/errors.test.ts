/**
 * Bad input: invalid repository names, digests, tags and manifests; the error envelope.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import {
  MT,
  descriptorOf,
  expectError,
  getManifest,
  http,
  imageManifest,
  parseErrorBody,
  pushBlob,
  pushImage,
  putManifest,
  randomBlob,
  rawRequest,
  sha256,
  uniqueRepo,
  type PushedImage,
} from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

describe('the error envelope', () => {
  it('errors are JSON {"errors":[{"code","message","detail"?}]} with a JSON Content-Type', async () => {
    const res = await http(base, `/v2/${uniqueRepo('env')}/tags/list`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    const body = parseErrorBody(await res.text());
    expect(body.errors[0]?.code).toBe('NAME_UNKNOWN');
    expect(typeof body.errors[0]?.message).toBe('string');
  });

  it('an unknown endpoint under /v2/ answers 404 (or 405), never a server error', async () => {
    const res = await http(base, '/v2/some/repo/not-an-endpoint');
    expect([404, 405]).toContain(res.status);
    await res.arrayBuffer();
  });

  it('an unsupported method on a known endpoint answers 404 or 405 (UNSUPPORTED), never a server error', async () => {
    const repo = uniqueRepo('method');
    await pushImage(base, repo, 'x');
    for (const [method, path] of [
      ['POST', `/v2/${repo}/manifests/x`],
      ['PATCH', `/v2/${repo}/manifests/x`],
      ['PUT', `/v2/${repo}/tags/list`],
      ['DELETE', `/v2/${repo}/tags/list`],
      ['POST', '/v2/_catalog'],
    ] as const) {
      const res = await http(base, path, { method });
      expect([404, 405], `${method} ${path}`).toContain(res.status);
      await res.arrayBuffer();
    }
  });
});

describe('repository names: [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/...)*, under 256 characters', () => {
  const invalid = ['UPPER', 'Mixed/case', 'a__-b', 'a_', '_a', '-a', 'a.', 'a..b', 'a___b', 'a/-b', 'a/b_', 'a$b'];

  for (const name of invalid) {
    it(`"${name}" MUST be rejected: 400 NAME_INVALID on tags/list, manifest PUT and upload POST`, async () => {
      await expectError(await http(base, `/v2/${name}/tags/list`), 400, ['NAME_INVALID']);
      const img = imageManifest({ config: descriptorOf(MT.ociConfig, randomBlob(8)) });
      await expectError(await putManifest(base, name, 'latest', img.bytes, MT.ociManifest), 400, ['NAME_INVALID']);
      await expectError(await http(base, `/v2/${name}/blobs/uploads/`, { method: 'POST' }), 400, ['NAME_INVALID']);
    });
  }

  it('a name of 256 characters MUST be rejected (400 NAME_INVALID)', async () => {
    const name = `${'a'.repeat(127)}/${'b'.repeat(128)}`;
    expect(name.length).toBe(256);
    await expectError(await http(base, `/v2/${name}/blobs/uploads/`, { method: 'POST' }), 400, ['NAME_INVALID']);
    await expectError(await http(base, `/v2/${name}/tags/list`), 400, ['NAME_INVALID']);
  });

  it('a name of 255 characters is accepted', async () => {
    const name = `${'c'.repeat(127)}/${'d'.repeat(127)}`;
    expect(name.length).toBe(255);
    await pushImage(base, name, 'ok');
    const res = await http(base, `/v2/${name}/tags/list`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tags: string[] }).tags).toEqual(['ok']);
  });

  it('names with allowed separators (., _, __, -, --, /) are accepted', async () => {
    for (const name of ['sep/a.b', 'sep/a_b', 'sep/a__b', 'sep/a-b', 'sep/a--b', 'sep/a/b/c/d', 'sep/0/9']) {
      const res = await http(base, `/v2/${name}/blobs/uploads/`, { method: 'POST' });
      expect(res.status, name).toBe(202);
      await res.arrayBuffer();
    }
  });

  for (const path of ['/v2/a//b/tags/list', '//v2/a/tags/list', '/v2//a/tags/list', '/v2/a/b//tags/list']) {
    it(`"${path}" (empty path component, sent verbatim) is rejected with 400 NAME_INVALID or 404`, async () => {
      const res = await rawRequest(base, 'GET', path);
      expect([400, 404], `${path} → ${res.status}`).toContain(res.status);
      if (res.status === 400) {
        expect(parseErrorBody(res.body.toString()).errors.map((e) => e.code)).toContain('NAME_INVALID');
      }
    });
  }

  describe('dot segments and encoded slashes (sent verbatim)', () => {
    // RFC 3986 section 5.2.4 lets a server remove dot segments before routing; what must never
    // happen is a repository name containing "." or ".." components, or a 5xx. So each request
    // is either rejected (400 NAME_INVALID / 404), or answered exactly as its normalised form.
    const repo = 'dots/target';

    beforeAll(async () => {
      await pushImage(base, repo, 'latest');
    });

    for (const [path, normalised] of [
      ['/v2/dots/../dots/target/tags/list', '/v2/dots/target/tags/list'],
      ['/v2/dots/x/%2e%2e/target/tags/list', '/v2/dots/target/tags/list'],
      ['/v2/dots/./target/tags/list', '/v2/dots/target/tags/list'],
      ['/v2/dots%2Ftarget/tags/list', '/v2/dots/target/tags/list'],
      ['/v2/../a/tags/list', '/a/tags/list'],
      ['/v2/a/b/../../../etc/tags/list', '/etc/tags/list'],
    ] as const) {
      it(`"${path}" is rejected, or served as "${normalised}" — never as a name with dot segments`, async () => {
        const res = await rawRequest(base, 'GET', path);
        if (res.status === 400) {
          expect(parseErrorBody(res.body.toString()).errors.map((e) => e.code)).toContain('NAME_INVALID');
          return;
        }
        if (res.status === 404) return;
        const expected = await rawRequest(base, 'GET', normalised);
        expect(res.status, `${path} answered ${res.status}`).toBe(expected.status);
        expect(res.body.toString()).toBe(expected.body.toString());
        if (res.status === 200) {
          const body = JSON.parse(res.body.toString()) as { name: string };
          expect(body.name.split('/')).not.toContain('..');
          expect(body.name.split('/')).not.toContain('.');
        }
      });
    }

    it('path traversal in an upload POST never creates a repository with dot segments', async () => {
      const res = await rawRequest(base, 'POST', '/v2/a/../../b/blobs/uploads/');
      expect([400, 404]).toContain(res.status);
      const inside = await rawRequest(base, 'POST', '/v2/dots/x/../up/blobs/uploads/');
      if (inside.status === 202) {
        expect(String(inside.headers.location)).toMatch(/^(https?:\/\/[^/]+)?\/v2\/dots\/up\/blobs\/uploads\//);
      } else {
        expect([400, 404]).toContain(inside.status);
      }
    });
  });

  it('an upload id carrying a path traversal is an unknown upload (404 BLOB_UPLOAD_UNKNOWN) or 400', async () => {
    const repo = uniqueRepo('upload-traversal');
    await pushBlob(base, repo, randomBlob(8));
    for (const id of ['..%2F..%2F..%2Fdb', '%2e%2e%2f%2e%2e%2fblobs', '..%5C..%5Cdb']) {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await rawRequest(base, method, `/v2/${repo}/blobs/uploads/${id}`, method === 'PATCH' ? Buffer.from('x') : undefined);
        expect([400, 404], `${method} ${id}`).toContain(res.status);
      }
    }
  });
});

describe('digests', () => {
  const repo = uniqueRepo('digests');
  let image: PushedImage;

  beforeAll(async () => {
    image = await pushImage(base, repo, 'x');
  });

  const badDigests = [
    'sha256:abc', // too short for sha256
    `sha256:${'g'.repeat(64)}`, // not hex
    `sha256:${'A'.repeat(64)}`, // upper-case hex is not a valid sha256 encoding
    `sha512:${'a'.repeat(64)}`, // wrong length for sha512
    'sha256:', // empty
    'nocolon',
    `SHA256:${'a'.repeat(64)}`, // algorithm must be lower case
    `sha256:${'a'.repeat(64)}x`, // trailing garbage
  ];

  for (const d of badDigests) {
    it(`blob GET with malformed digest "${d.slice(0, 20)}…" answers 400 DIGEST_INVALID`, async () => {
      await expectError(await http(base, `/v2/${repo}/blobs/${d}`), 400, ['DIGEST_INVALID']);
    });
  }

  it('an unsupported algorithm (md5) answers 400 DIGEST_INVALID or UNSUPPORTED', async () => {
    const md5 = 'md5:d41d8cd98f00b204e9800998ecf8427e';
    await expectError(await http(base, `/v2/${repo}/blobs/${md5}`), 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
    const location = (await http(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST' })).headers.get('location');
    expect(location).toBeTruthy();
    const sep = (location as string).includes('?') ? '&' : '?';
    const put = await http(base, `${location as string}${sep}digest=${md5}`, { method: 'PUT', body: Buffer.alloc(0) });
    await expectError(put, 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
    await expectError(await http(base, `/v2/${repo}/blobs/uploads/?digest=${md5}`, { method: 'POST', body: Buffer.alloc(0) }), 400, [
      'DIGEST_INVALID',
      'UNSUPPORTED',
    ]);
  });

  it('manifest GET with a malformed digest reference answers 400 (DIGEST_INVALID or UNSUPPORTED)', async () => {
    for (const ref of ['sha256:abc', 'md5:d41d8cd98f00b204e9800998ecf8427e']) {
      await expectError(await getManifest(base, repo, ref), 400, ['DIGEST_INVALID', 'UNSUPPORTED', 'MANIFEST_INVALID']);
    }
  });

  it('HEAD with a malformed digest answers 400 with no body', async () => {
    const res = await http(base, `/v2/${repo}/blobs/sha256:abc`, { method: 'HEAD' });
    expect(res.status).toBe(400);
  });

  it('PUT manifest by digest whose body does not match: 400 DIGEST_INVALID, nothing stored', async () => {
    const wrong = sha256(randomBlob());
    const res = await putManifest(base, repo, wrong, image.manifest.bytes, MT.ociManifest);
    await expectError(res, 400, ['DIGEST_INVALID']);
    expect((await getManifest(base, repo, wrong, 'HEAD')).status).toBe(404);
  });
});

describe('tags: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', () => {
  const repo = uniqueRepo('bad-tags');
  let image: PushedImage;

  beforeAll(async () => {
    image = await pushImage(base, repo, 'x');
  });

  for (const tag of ['-leading-dash', '.leading-dot', 'has+plus', 'has%2Fslash', 'a'.repeat(129), 'tab%09']) {
    it(`PUT with tag "${tag.slice(0, 24)}" answers 400 TAG_INVALID (or MANIFEST_INVALID)`, async () => {
      const res = await putManifest(base, repo, tag, image.manifest.bytes, MT.ociManifest);
      await expectError(res, [400, 404], ['TAG_INVALID', 'MANIFEST_INVALID', 'NAME_INVALID']);
      const list = await http(base, `/v2/${repo}/tags/list`);
      expect(((await list.json()) as { tags: string[] }).tags).toEqual(['x']);
    });
  }

  it('a 129-character tag is rejected with exactly 400 TAG_INVALID or MANIFEST_INVALID', async () => {
    const res = await putManifest(base, repo, 'a'.repeat(129), image.manifest.bytes, MT.ociManifest);
    await expectError(res, 400, ['TAG_INVALID', 'MANIFEST_INVALID']);
  });

  it('a tag starting with a dash is rejected with exactly 400 TAG_INVALID or MANIFEST_INVALID', async () => {
    const res = await putManifest(base, repo, '-x', image.manifest.bytes, MT.ociManifest);
    await expectError(res, 400, ['TAG_INVALID', 'MANIFEST_INVALID']);
  });
});

describe('invalid manifests: 400 MANIFEST_INVALID', () => {
  const repo = uniqueRepo('bad-manifests');
  let image: PushedImage;

  beforeAll(async () => {
    image = await pushImage(base, repo, 'x');
  });

  const put = (body: string | Buffer, type: string = MT.ociManifest, ref = 'bad'): Promise<Response> =>
    putManifest(base, repo, ref, body, type);

  it('malformed JSON', async () => {
    await expectError(await put('{"schemaVersion": 2, '), 400, ['MANIFEST_INVALID']);
  });

  it('a truncated body (valid manifest cut in half)', async () => {
    const half = image.manifest.bytes.subarray(0, Math.floor(image.manifest.bytes.length / 2));
    await expectError(await put(half), 400, ['MANIFEST_INVALID']);
  });

  it('an empty body', async () => {
    await expectError(await put(''), 400, ['MANIFEST_INVALID']);
  });

  it('JSON that is not an object (array, string, null)', async () => {
    for (const body of ['[]', '"manifest"', 'null', '42']) {
      await expectError(await put(body), 400, ['MANIFEST_INVALID']);
    }
  });

  it('schemaVersion other than 2 (1, 3, missing, "2")', async () => {
    for (const sv of [1, 3, undefined, '2']) {
      const json = { ...image.manifest.json, schemaVersion: sv };
      await expectError(await put(JSON.stringify(json)), 400, ['MANIFEST_INVALID']);
    }
  });

  it('an unknown media type (Content-Type and mediaType)', async () => {
    const json = { ...image.manifest.json, mediaType: 'application/vnd.example.unknown+json' };
    await expectError(await put(JSON.stringify(json), 'application/vnd.example.unknown+json'), 400, [
      'MANIFEST_INVALID',
    ]);
  });

  it('a mediaType field that contradicts the Content-Type', async () => {
    const res = await put(image.manifest.bytes, MT.ociIndex);
    await expectError(res, 400, ['MANIFEST_INVALID']);
  });

  it('an image manifest without config, or with layers that are not descriptors', async () => {
    const { config: _config, ...noConfig } = image.manifest.json;
    await expectError(await put(JSON.stringify(noConfig)), 400, ['MANIFEST_INVALID']);
    const badLayers = { ...image.manifest.json, layers: [{ mediaType: MT.ociLayer }] };
    await expectError(await put(JSON.stringify(badLayers)), 400, ['MANIFEST_INVALID']);
    const layersNotArray = { ...image.manifest.json, layers: 'nope' };
    await expectError(await put(JSON.stringify(layersNotArray)), 400, ['MANIFEST_INVALID']);
  });

  it('a descriptor with a malformed digest', async () => {
    const json = {
      ...image.manifest.json,
      layers: [{ mediaType: MT.ociLayer, digest: 'sha256:1234', size: 4 }],
    };
    await expectError(await put(JSON.stringify(json)), 400, ['MANIFEST_INVALID', 'DIGEST_INVALID']);
  });

  it('an index whose manifests field is not an array', async () => {
    const json = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: {} };
    await expectError(await put(JSON.stringify(json), MT.ociIndex), 400, ['MANIFEST_INVALID']);
  });

  it('none of the rejected manifests became visible', async () => {
    const res = await getManifest(base, repo, 'bad');
    await expectError(res, 404, ['MANIFEST_UNKNOWN']);
    const list = await http(base, `/v2/${repo}/tags/list`);
    expect(((await list.json()) as { tags: string[] }).tags).toEqual(['x']);
  });
});

describe('other bad requests', () => {
  const repo = uniqueRepo('misc');

  it('PATCH to an unknown upload session answers 404 BLOB_UPLOAD_UNKNOWN', async () => {
    await pushBlob(base, repo, randomBlob(8));
    const res = await http(base, `/v2/${repo}/blobs/uploads/11111111-2222-4333-8444-555555555555`, {
      method: 'PATCH',
      body: randomBlob(16),
    });
    await expectError(res, 404, ['BLOB_UPLOAD_UNKNOWN']);
  });

  it('PATCH with a malformed Content-Range is rejected (400 or 416)', async () => {
    const post = await http(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const location = post.headers.get('location') as string;
    for (const range of ['x-y', '5-2', '-3', '0-3-5']) {
      const res = await http(base, location, {
        method: 'PATCH',
        body: randomBlob(4),
        headers: { 'content-range': range },
      });
      expect([400, 416], range).toContain(res.status);
      await res.arrayBuffer();
    }
  });

  it('a manifest PUT to a digest reference with an unsupported algorithm is rejected (400)', async () => {
    const img = await pushImage(base, repo);
    const res = await putManifest(base, repo, 'md5:d41d8cd98f00b204e9800998ecf8427e', img.manifest.bytes, MT.ociManifest);
    await expectError(res, 400, ['DIGEST_INVALID', 'UNSUPPORTED', 'TAG_INVALID', 'MANIFEST_INVALID']);
  });

  it('mount with from naming an invalid repository: 400 NAME_INVALID or a fallback 202', async () => {
    const data = randomBlob(16);
    const digest = await pushBlob(base, repo, data);
    const res = await http(base, `/v2/${uniqueRepo('mt')}/blobs/uploads/?mount=${digest}&from=BAD..NAME`, {
      method: 'POST',
    });
    if (res.status === 202) {
      expect(res.headers.get('location')).toBeTruthy();
    } else {
      await expectError(res, 400, ['NAME_INVALID']);
    }
  });
});
