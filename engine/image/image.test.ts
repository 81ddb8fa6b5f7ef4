import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import { CONFIG_MEDIA_TYPE, imageConfig, mergeEnv } from './config.ts';
import { imageManifest, MANIFEST_MEDIA_TYPE } from './manifest.ts';
import { parseImageReference } from './reference.ts';
import { rfc3339, sourceDateEpoch } from './time.ts';

const diffId = `sha256:${'a'.repeat(64)}`;
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 42 };

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }], u: undefined })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});

describe('imageConfig', () => {
  it('lists the diffIDs and history, dated by SOURCE_DATE_EPOCH, and is stable', () => {
    const input = { architecture: 'arm64', os: 'linux', diffIds: [diffId], created: 1_700_000_000, history: [{ created_by: 'nocker import', comment: 'rootfs' }] };
    const config = imageConfig(input);
    expect(config.mediaType).toBe(CONFIG_MEDIA_TYPE);
    expect(JSON.parse(config.bytes.toString())).toEqual({
      architecture: 'arm64',
      os: 'linux',
      created: '2023-11-14T22:13:20Z',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2023-11-14T22:13:20Z', created_by: 'nocker import', comment: 'rootfs' }],
    });
    expect(config.digest).toBe(`sha256:${createHash('sha256').update(config.bytes).digest('hex')}`);
    expect(imageConfig({ ...input, history: [{ comment: 'rootfs', created_by: 'nocker import' }] }).digest).toBe(config.digest);
  });

  it('refuses a history that does not match the layers', () => {
    expect(() => imageConfig({ architecture: 'amd64', os: 'linux', diffIds: [diffId], created: 0, history: [{ empty_layer: true }] })).toThrow('history names 0 layers');
  });
});

describe('imageManifest', () => {
  it('holds the descriptors and the created and base annotations', () => {
    const config = imageConfig({ architecture: 'amd64', os: 'linux', diffIds: [diffId], created: 0 });
    const manifest = imageManifest({ config, layers: [layer], created: 0, base: { name: 'hub:5000/base:1', digest: `sha256:${'c'.repeat(64)}` } });
    expect(manifest.mediaType).toBe(MANIFEST_MEDIA_TYPE);
    expect(JSON.parse(manifest.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPE,
      config: { mediaType: CONFIG_MEDIA_TYPE, digest: config.digest, size: config.size },
      layers: [layer],
      annotations: {
        'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
        'org.opencontainers.image.base.name': 'hub:5000/base:1',
        'org.opencontainers.image.base.digest': `sha256:${'c'.repeat(64)}`,
      },
    });
    expect(manifest.bytes.toString()).toMatch(/^\{"annotations":/);
  });
});

describe('parseImageReference', () => {
  it('reads hub, repository and tag', () => {
    expect(parseImageReference('127.0.0.1:5000/team/app:v1')).toEqual({ hub: '127.0.0.1:5000', repository: 'team/app', tag: 'v1' });
    expect(parseImageReference('localhost/app')).toEqual({ hub: 'localhost', repository: 'app', tag: 'latest' });
    expect(parseImageReference('team/app:1.0')).toEqual({ repository: 'team/app', tag: '1.0' });
    expect(() => parseImageReference('Team/App')).toThrow('not a valid repository name');
    expect(() => parseImageReference('app@sha256:abc')).toThrow('digest reference');
    expect(() => parseImageReference('app:-x')).toThrow('not a valid tag');
  });
});

describe('time', () => {
  it('reads SOURCE_DATE_EPOCH', () => {
    expect(sourceDateEpoch({})).toBe(0);
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '12' })).toBe(12);
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: 'soon' })).toThrow('whole number');
    expect(rfc3339(1.5)).toBe('1970-01-01T00:00:01.500Z');
  });
});

describe('mergeEnv', () => {
  it('replaces a name where it stands and adds new names at the end', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['A=3', 'C=4'], ['B='])).toEqual(['A=3', 'B=', 'C=4']);
  });
});
