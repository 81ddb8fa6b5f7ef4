import { describe, expect, it } from 'vitest';
import { digestOf } from './digest.ts';
import { OciError } from './errors.ts';
import { parseManifest } from './manifest.ts';
import { EMPTY_DESCRIPTOR, MediaType } from './mediatypes.ts';

const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const DOCKER_FOREIGN_LAYER_TYPE = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

const CONFIG = { mediaType: CONFIG_TYPE, digest: digestOf('config'), size: 6 };
const LAYER_1 = { mediaType: LAYER_TYPE, digest: digestOf('layer-1'), size: 7 };
const LAYER_2 = { mediaType: LAYER_TYPE, digest: digestOf('layer-2'), size: 7 };
const SUBJECT = { mediaType: MediaType.OciManifest, digest: digestOf('subject'), size: 7 };

function bytes(doc: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}

function ociImage(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemaVersion: 2, mediaType: MediaType.OciManifest, config: CONFIG, layers: [LAYER_1, LAYER_2], ...extra };
}

/** Parses `doc`, expecting MANIFEST_INVALID, and returns the error message. */
function invalidMessage(body: Uint8Array | unknown, contentType?: string): string {
  const raw = body instanceof Uint8Array ? body : bytes(body);
  try {
    parseManifest(raw, contentType);
  } catch (err) {
    expect(err).toBeInstanceOf(OciError);
    const oci = err as OciError;
    expect(oci.code).toBe('MANIFEST_INVALID');
    expect(oci.status).toBe(400);
    return oci.message;
  }
  throw new Error('expected MANIFEST_INVALID, but the manifest was accepted');
}

describe('parseManifest: valid manifests', () => {
  it('reads an OCI image manifest: config and layers are its blobs', () => {
    const m = parseManifest(bytes(ociImage()), MediaType.OciManifest);
    expect(m.mediaType).toBe(MediaType.OciManifest);
    expect(m.kind).toBe('image');
    expect(m.blobs.map((d) => d.digest)).toEqual([CONFIG.digest, LAYER_1.digest, LAYER_2.digest]);
    expect(m.blobs[0]).toMatchObject(CONFIG);
    expect(m.manifests).toEqual([]);
    expect(m.subject).toBeUndefined();
    expect(m.annotations).toBeUndefined();
  });

  it('falls back to the config media type for artifactType', () => {
    expect(parseManifest(bytes(ociImage()), undefined).artifactType).toBe(CONFIG_TYPE);
  });

  it('accepts an image manifest without layers', () => {
    const doc = ociImage();
    delete doc.layers;
    const m = parseManifest(bytes(doc), undefined);
    expect(m.blobs.map((d) => d.digest)).toEqual([CONFIG.digest]);
  });

  it('reads an OCI index: children are manifests, there are no blobs', () => {
    const child1 = {
      mediaType: MediaType.OciManifest,
      digest: digestOf('amd64'),
      size: 500,
      platform: { architecture: 'amd64', os: 'linux' },
    };
    const child2 = { mediaType: MediaType.OciManifest, digest: digestOf('arm64'), size: 501 };
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [child1, child2],
      annotations: { 'org.opencontainers.image.ref.name': 'v1' },
    };
    const m = parseManifest(bytes(doc), MediaType.OciIndex);
    expect(m.kind).toBe('index');
    expect(m.mediaType).toBe(MediaType.OciIndex);
    expect(m.blobs).toEqual([]);
    expect(m.manifests.map((d) => d.digest)).toEqual([child1.digest, child2.digest]);
    expect(m.manifests[0]?.platform).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(m.annotations).toEqual({ 'org.opencontainers.image.ref.name': 'v1' });
    expect(m.artifactType).toBeUndefined();
  });

  it('reads an empty OCI index', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }), undefined);
    expect(m.kind).toBe('index');
    expect(m.manifests).toEqual([]);
  });

  it('keeps an index artifactType and subject', () => {
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      artifactType: 'application/vnd.example.bundle',
      manifests: [],
      subject: SUBJECT,
    };
    const m = parseManifest(bytes(doc), undefined);
    expect(m.artifactType).toBe('application/vnd.example.bundle');
    expect(m.subject).toMatchObject(SUBJECT);
  });

  it('reads a Docker schema 2 manifest, leaving foreign layers (with urls) out of its blobs', () => {
    const config = { mediaType: DOCKER_CONFIG_TYPE, digest: digestOf('docker-config'), size: 13 };
    const layer = { mediaType: DOCKER_LAYER_TYPE, digest: digestOf('docker-layer'), size: 12 };
    const foreign = {
      mediaType: DOCKER_FOREIGN_LAYER_TYPE,
      digest: digestOf('foreign'),
      size: 7,
      urls: ['https://example.com/layer.tar.gz'],
    };
    const doc = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config, layers: [foreign, layer] };
    const m = parseManifest(bytes(doc), MediaType.DockerManifest);
    expect(m.kind).toBe('image');
    expect(m.mediaType).toBe(MediaType.DockerManifest);
    expect(m.blobs.map((d) => d.digest)).toEqual([config.digest, layer.digest]);
    expect(m.artifactType).toBe(DOCKER_CONFIG_TYPE);
  });

  it('counts a layer with an empty urls list as a blob of the registry', () => {
    const doc = ociImage({ layers: [{ ...LAYER_1, urls: [] }] });
    expect(parseManifest(bytes(doc), undefined).blobs.map((d) => d.digest)).toEqual([CONFIG.digest, LAYER_1.digest]);
  });

  it('reads a Docker manifest list', () => {
    const child = {
      mediaType: MediaType.DockerManifest,
      digest: digestOf('docker-child'),
      size: 700,
      platform: { architecture: 'arm', os: 'linux', variant: 'v7' },
    };
    const doc = { schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [child] };
    const m = parseManifest(bytes(doc), MediaType.DockerManifestList);
    expect(m.kind).toBe('index');
    expect(m.mediaType).toBe(MediaType.DockerManifestList);
    expect(m.blobs).toEqual([]);
    expect(m.manifests).toHaveLength(1);
    expect(m.manifests[0]).toMatchObject(child);
  });

  it('reads an artifact manifest: artifactType, the empty config, subject and annotations', () => {
    const blob = { mediaType: 'application/vnd.example.signature', digest: digestOf('sig'), size: 3 };
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: 'application/vnd.example.sbom',
      config: EMPTY_DESCRIPTOR,
      layers: [blob],
      subject: SUBJECT,
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
    };
    const m = parseManifest(bytes(doc), MediaType.OciManifest);
    expect(m.kind).toBe('image');
    expect(m.artifactType).toBe('application/vnd.example.sbom');
    expect(m.blobs.map((d) => d.digest)).toEqual([EMPTY_DESCRIPTOR.digest, blob.digest]);
    expect(m.blobs[0]?.mediaType).toBe(MediaType.OciEmpty);
    expect(m.subject).toMatchObject(SUBJECT);
    expect(m.annotations).toEqual({ 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' });
  });

  it('keeps descriptor annotations and artifactType', () => {
    const layer = { ...LAYER_1, artifactType: 'application/vnd.example', annotations: { a: 'b' } };
    const m = parseManifest(bytes(ociImage({ layers: [layer] })), undefined);
    expect(m.blobs[1]).toMatchObject({ artifactType: 'application/vnd.example', annotations: { a: 'b' } });
  });

  it('takes the mediaType from Content-Type when the body has none', () => {
    const doc = ociImage();
    delete doc.mediaType;
    const m = parseManifest(bytes(doc), MediaType.OciManifest);
    expect(m.mediaType).toBe(MediaType.OciManifest);
    expect(m.kind).toBe('image');

    const index = parseManifest(bytes({ schemaVersion: 2, manifests: [] }), `${MediaType.OciIndex}; charset=utf-8`);
    expect(index.mediaType).toBe(MediaType.OciIndex);
    expect(index.kind).toBe('index');
  });

  it('normalises the Content-Type (parameters, case) before comparing', () => {
    const m = parseManifest(bytes(ociImage()), ` ${MediaType.OciManifest.toUpperCase()} ; charset=utf-8`);
    expect(m.mediaType).toBe(MediaType.OciManifest);
  });

  it('lets the body mediaType win over a Content-Type that is no manifest type', () => {
    expect(parseManifest(bytes(ociImage()), 'application/json').mediaType).toBe(MediaType.OciManifest);
    expect(parseManifest(bytes(ociImage()), '').mediaType).toBe(MediaType.OciManifest);
  });

  it('treats null annotations as absent', () => {
    expect(parseManifest(bytes(ociImage({ annotations: null })), undefined).annotations).toBeUndefined();
  });
});

describe('parseManifest: invalid manifests (MANIFEST_INVALID)', () => {
  it('rejects invalid JSON', () => {
    expect(invalidMessage(new TextEncoder().encode('{"schemaVersion": 2,'))).toMatch(/not valid JSON/);
    expect(invalidMessage(new Uint8Array())).toMatch(/not valid JSON/);
  });

  it('rejects invalid UTF-8', () => {
    const prefix = new TextEncoder().encode('{"schemaVersion": 2, "x": "');
    const suffix = new TextEncoder().encode('"}');
    const body = new Uint8Array([...prefix, 0xff, 0xfe, ...suffix]);
    expect(invalidMessage(body)).toMatch(/not valid JSON/);
  });

  it.each([
    ['an array', []],
    ['a string', 'manifest'],
    ['a number', 2],
    ['null', null],
  ])('rejects %s at the top level', (_label, doc) => {
    expect(invalidMessage(doc)).toMatch(/must be a JSON object/);
  });

  it('rejects schemaVersion 1', () => {
    expect(invalidMessage(ociImage({ schemaVersion: 1 }))).toMatch(/schemaVersion must be 2, got 1/);
  });

  it('rejects a missing or string schemaVersion', () => {
    const doc = ociImage();
    delete doc.schemaVersion;
    expect(invalidMessage(doc)).toMatch(/schemaVersion must be 2, got nothing/);
    expect(invalidMessage(ociImage({ schemaVersion: '2' }))).toMatch(/schemaVersion must be 2, got "2"/);
  });

  it('rejects an unknown mediaType, listing the supported ones', () => {
    const message = invalidMessage(ociImage({ mediaType: 'application/vnd.example.manifest+json' }));
    expect(message).toMatch(/unsupported manifest media type "application\/vnd.example.manifest\+json"/);
    expect(message).toContain(MediaType.OciManifest);
  });

  it('rejects an unknown Content-Type when the body has no mediaType', () => {
    const doc = ociImage();
    delete doc.mediaType;
    expect(invalidMessage(doc, 'application/json')).toMatch(/unsupported manifest media type "application\/json"/);
  });

  it('rejects a manifest with neither mediaType nor Content-Type', () => {
    const doc = ociImage();
    delete doc.mediaType;
    expect(invalidMessage(doc)).toMatch(/no mediaType field and the request has no Content-Type/);
    expect(invalidMessage(doc, '')).toMatch(/no mediaType/);
  });

  it('rejects a non-string mediaType', () => {
    expect(invalidMessage(ociImage({ mediaType: 2 }))).toMatch(/mediaType must be a string/);
  });

  it('rejects a Content-Type that names a different manifest type than the body', () => {
    const message = invalidMessage(ociImage(), MediaType.DockerManifest);
    expect(message).toMatch(/Content-Type/);
    expect(message).toContain(MediaType.DockerManifest);
    expect(message).toContain(MediaType.OciManifest);
    expect(invalidMessage(ociImage(), MediaType.OciIndex)).toMatch(/does not match/);
  });

  it('rejects an image manifest without config', () => {
    const doc = ociImage();
    delete doc.config;
    expect(invalidMessage(doc)).toMatch(/config must be a descriptor object/);
  });

  it('rejects layers that are not an array', () => {
    expect(invalidMessage(ociImage({ layers: LAYER_1 }))).toMatch(/"layers" must be an array/);
  });

  it.each([
    ['not a digest', 'nope', /config\.digest/],
    ['an unsupported algorithm', `md5:${'d'.repeat(32)}`, /config\.digest: .*not supported/],
    ['uppercase hex', CONFIG.digest.toUpperCase().replace('SHA256', 'sha256'), /config\.digest/],
    ['a number', 42, /config\.digest must be a digest string/],
  ])('rejects a descriptor digest that is %s', (_label, digest, message) => {
    expect(invalidMessage(ociImage({ config: { ...CONFIG, digest } }))).toMatch(message);
  });

  it.each([
    ['negative', -1],
    ['a float', 1.5],
    ['a string', '6'],
    ['missing', undefined],
    ['unsafe', Number.MAX_SAFE_INTEGER + 2],
  ])('rejects a descriptor size that is %s, naming the field', (_label, size) => {
    expect(invalidMessage(ociImage({ layers: [LAYER_1, { ...LAYER_2, size }] }))).toMatch(/layers\[1\]\.size must be a whole number/);
  });

  it('accepts a descriptor of size 0', () => {
    const m = parseManifest(bytes(ociImage({ layers: [{ ...LAYER_1, size: 0 }] })), undefined);
    expect(m.blobs[1]?.size).toBe(0);
  });

  it('rejects a descriptor with a missing or malformed mediaType', () => {
    expect(invalidMessage(ociImage({ config: { ...CONFIG, mediaType: undefined } }))).toMatch(/config\.mediaType/);
    expect(invalidMessage(ociImage({ config: { ...CONFIG, mediaType: 'not a media type' } }))).toMatch(/config\.mediaType/);
  });

  it('rejects urls that are not a list of strings', () => {
    expect(invalidMessage(ociImage({ layers: [{ ...LAYER_1, urls: 'https://x' }] }))).toMatch(/layers\[0\]\.urls/);
    expect(invalidMessage(ociImage({ layers: [{ ...LAYER_1, urls: [1] }] }))).toMatch(/layers\[0\]\.urls/);
  });

  it('rejects annotations whose values are not strings', () => {
    expect(invalidMessage(ociImage({ annotations: { a: 1 } }))).toMatch(/^annotations must map strings to strings/);
    expect(invalidMessage(ociImage({ annotations: ['a'] }))).toMatch(/annotations must map strings to strings/);
    expect(invalidMessage(ociImage({ layers: [{ ...LAYER_1, annotations: { a: true } }] }))).toMatch(
      /layers\[0\]\.annotations must map strings to strings/,
    );
  });

  it('rejects a non-string artifactType', () => {
    expect(invalidMessage(ociImage({ artifactType: 1 }))).toMatch(/artifactType must be a string/);
  });

  it('rejects a subject that is not a descriptor', () => {
    expect(invalidMessage(ociImage({ subject: 'sha256:abc' }))).toMatch(/subject must be a descriptor object/);
    expect(invalidMessage(ociImage({ subject: { ...SUBJECT, digest: 'bad' } }))).toMatch(/subject\.digest/);
  });

  it('rejects an index whose manifests is not an array', () => {
    const doc = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: {} };
    expect(invalidMessage(doc)).toMatch(/needs a "manifests" array/);
    expect(invalidMessage({ schemaVersion: 2, mediaType: MediaType.DockerManifestList })).toMatch(/"manifests" array/);
  });

  it('rejects an invalid index child, naming its position', () => {
    const doc = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [SUBJECT, { ...SUBJECT, size: -5 }] };
    expect(invalidMessage(doc)).toMatch(/manifests\[1\]\.size/);
  });
});
