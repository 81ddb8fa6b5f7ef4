/**
 * Builds with `build.dependencies` against a real Hub: the lock pins them, a second build reuses
 * the pin, `update` resolves again; the pushed manifest lists them and names its base.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestHub } from '../../conformance/harness.ts';
import { pushPlatformIndex, pushSampleImage, sha256, type SampleImage } from '../../cli/testing.ts';
import { HubClient } from '../../hub/client/client.ts';
import { compareSemver } from '../../hub/scanning/versions/semver.ts';
import { pushImage } from '../../hub/client/push.ts';
import { rawTar } from '../../hub/oci/testing-archives.ts';
import { imageConfig } from '../image/config.ts';
import { imageManifest } from '../image/manifest.ts';
import { loadNockerfile } from '../nockerfile/index.ts';
import { buildImage, discardBuildLog, pushBuiltImage, type BuiltImage } from './build.ts';
import { DEPENDENCIES_ANNOTATION, dependencyRef, describeDependency, lockedDependencies } from './dependencies.ts';
import { LAYER_MEDIA_TYPE } from './layer.ts';
import { StepCache } from './plan.ts';

let url: string;
let host: string;
useTestHub((hub) => {
  url = hub.url;
  host = new URL(hub.url).host;
});
const admin = () => new HubClient({ url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });

let dir: string;
let base: { digest: string };
const runtime: Record<string, SampleImage> = {};
let tools: SampleImage;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-build-deps-'));
  base = await pushBaseImage('base/sample', '1.0');
  for (const tag of ['1.0.0', '1.2.0', '2.0.0', 'latest']) runtime[tag] = await pushSampleImage(admin(), 'libs/runtime', tag);
  tools = await pushSampleImage(admin(), 'libs/tools', 'stable');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pushes a one-layer base image whose layer is a real (gzipped) tar of an os-release file. */
async function pushBaseImage(repository: string, tag: string): Promise<{ digest: string }> {
  const bytes = gzipSync(rawTar([{ path: 'etc/os-release', content: 'ID=sample\n' }]));
  const layer = { mediaType: LAYER_MEDIA_TYPE, digest: sha256(bytes), size: bytes.length, bytes };
  const config = imageConfig({ os: 'linux', architecture: 'amd64', diffIds: [sha256(gunzipSync(bytes))], created: 0, config: {} });
  const manifest = imageManifest({ config, layers: [layer], created: 0 });
  await pushImage(admin(), repository, tag, { config, layers: [layer], manifest });
  return { digest: manifest.digest };
}

/** A project whose only step copies a file, on `baseRef`, depending on `dependencies`. */
async function project(name: string, baseRef: string, dependencies: string[]): Promise<string> {
  const root = join(dir, name);
  await mkdir(root, { recursive: true });
  const list = dependencies.length === 0 ? '' : `  dependencies:\n${dependencies.map((d) => `    - "${d}"\n`).join('')}`;
  await writeFile(join(root, 'Nockerfile.yml'), `version: "1.0"\nname: app\nbuild:\n  base: ${baseRef}\n${list}  steps:\n    - copy: hello.txt /hello.txt\n`);
  await writeFile(join(root, 'hello.txt'), 'hello\n');
  return root;
}

async function build(root: string, update = false): Promise<BuiltImage> {
  const nockerfile = await loadNockerfile({ file: join(root, 'Nockerfile.yml'), processEnv: {} });
  const image = await buildImage({ nockerfile, baseHub: admin(), cache: new StepCache(join(dir, 'cache')), sourceDateEpoch: 0, update });
  return image;
}

const annotations = (image: BuiltImage) => (JSON.parse(image.manifest.bytes.toString()) as { annotations: Record<string, string> }).annotations;
const lockOf = async (root: string) => JSON.parse(await readFile(join(root, 'Nockerfile.lock'), 'utf8')) as { bases: Record<string, string>; dependencies?: unknown[] };

describe('build.dependencies', () => {
  it('pins each dependency in the lock, reuses the pin, re-resolves with update, and records them on the pushed image', async () => {
    const root = await project('pins', `${host}/base/sample:1.0`, [`${host}/libs/runtime:^1.2`, 'libs/tools:stable']);
    const first = await build(root);
    const ref = `${host}/libs/runtime:^1.2`;
    expect(first.dependencies).toEqual([
      { ref, tag: '1.2.0', digest: runtime['1.2.0']?.digest, pinned: `${host}/libs/runtime:1.2.0@${runtime['1.2.0']?.digest}`, locked: false },
      { ref: `${host}/libs/tools:stable`, tag: 'stable', digest: tools.digest, pinned: `${host}/libs/tools:stable@${tools.digest}`, locked: false },
    ]);
    expect(await lockOf(root)).toEqual({
      version: 1,
      bases: { [`${host}/base/sample:1.0`]: base.digest },
      dependencies: [
        { ref, tag: '1.2.0', digest: runtime['1.2.0']?.digest },
        { ref: `${host}/libs/tools:stable`, tag: 'stable', digest: tools.digest },
      ],
    });
    const log = await readFile(first.log.path, 'utf8');
    expect(log).toContain(`dependency ${ref} → 1.2.0 ${runtime['1.2.0']?.digest}\n`);
    expect(log).toContain(`base ${host}/base/sample:1.0@${base.digest}\n`);

    await discardBuildLog(first);
    expect(annotations(first)).toEqual({
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
      'org.opencontainers.image.base.name': `${host}/base/sample:1.0`,
      'org.opencontainers.image.base.digest': base.digest,
      'dev.nocker.policies': '{"resources":{},"security":{}}',
      [DEPENDENCIES_ANNOTATION]: JSON.stringify([`${host}/libs/runtime:1.2.0@${runtime['1.2.0']?.digest}`, `${host}/libs/tools:stable@${tools.digest}`]),
    });

    // A newer tag in range: the lock holds until update.
    runtime['1.4.1'] = await pushSampleImage(admin(), 'libs/runtime', '1.4.1');
    const second = await build(root);
    await discardBuildLog(second);
    expect(second.dependencies.map((d) => [d.tag, d.locked])).toEqual([
      ['1.2.0', true],
      ['stable', true],
    ]);
    expect(second.digest).toBe(first.digest);
    expect(describeDependency(second.dependencies[0] as (typeof second.dependencies)[0])).toBe(`dependency ${ref} → 1.2.0 ${runtime['1.2.0']?.digest} (locked)`);

    const updated = await build(root, true);
    await discardBuildLog(updated);
    expect(updated.dependencies[0]).toMatchObject({ tag: '1.4.1', digest: runtime['1.4.1']?.digest, locked: false });
    expect(updated.digest).not.toBe(first.digest);
    expect(annotations(updated)[DEPENDENCIES_ANNOTATION]).toBe(JSON.stringify([`${host}/libs/runtime:1.4.1@${runtime['1.4.1']?.digest}`, `${host}/libs/tools:stable@${tools.digest}`]));
    expect((await lockOf(root)).dependencies?.[0]).toEqual({ ref, tag: '1.4.1', digest: runtime['1.4.1']?.digest });
  });

  it('pushes the manifest with its dependencies as built', async () => {
    const image = await build(await project('push', 'scratch', [`${host}/libs/runtime:~1.0`]));
    const { digest } = await pushBuiltImage(admin(), 'team/app', 'v1', image);
    await discardBuildLog(image);
    const res = await admin().v2('GET', '/v2/team/app/manifests/v1', { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(digest);
    const pushed = (JSON.parse(Buffer.from(bytes).toString()) as { annotations: Record<string, string> }).annotations;
    expect(pushed[DEPENDENCIES_ANNOTATION]).toBe(JSON.stringify([`${host}/libs/runtime:1.0.0@${runtime['1.0.0']?.digest}`]));
    // Built on nothing: no base to name.
    expect(pushed['org.opencontainers.image.base.name']).toBeUndefined();
  });

  it('takes a digest pin as it is, and a digest-pinned base by its digest', async () => {
    const pinned = runtime['1.0.0']?.digest as string;
    const root = await project('digest', `${host}/base/sample@${base.digest}`, [`${host}/libs/runtime@${pinned}`]);
    const image = await build(root);
    await discardBuildLog(image);
    expect(image.dependencies).toEqual([{ ref: `${host}/libs/runtime@${pinned}`, digest: pinned, pinned: `${host}/libs/runtime@${pinned}`, locked: false }]);
    expect(annotations(image)).toMatchObject({
      'org.opencontainers.image.base.name': `${host}/base/sample@${base.digest}`,
      'org.opencontainers.image.base.digest': base.digest,
      [DEPENDENCIES_ANNOTATION]: JSON.stringify([`${host}/libs/runtime@${pinned}`]),
    });
  });

  it('names the platform image of a multi-platform base as the base digest', async () => {
    const amd64 = await pushSampleImage(admin(), 'base/multi', 'amd64', 'amd64');
    const arm64 = await pushSampleImage(admin(), 'base/multi', 'arm64', 'arm64');
    await pushPlatformIndex(admin(), 'base/multi', '1.0', [
      { ...arm64, architecture: 'arm64' },
      { ...amd64, architecture: 'amd64' },
    ]);
    const image = await build(await project('multi', `${host}/base/multi:1.0`, []));
    await discardBuildLog(image);
    expect(image.dependencies).toEqual([]);
    expect(annotations(image)).toEqual({
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
      'org.opencontainers.image.base.name': `${host}/base/multi:1.0`,
      'org.opencontainers.image.base.digest': amd64.digest,
      'dev.nocker.policies': '{"resources":{},"security":{}}',
    });
  });

  it('fails the build with the Hub\'s message when a dependency does not resolve', async () => {
    await expect(build(await project('none', 'scratch', [`${host}/libs/runtime:^3`]))).rejects.toThrow(
      `dependency ${host}/libs/runtime:^3 does not resolve on the Hub at ${host}: no tag of libs/runtime satisfies ^3 (tags: ${Object.keys(runtime).filter((t) => t !== 'latest').sort((a, b) => compareSemver(a, b)).join(', ')})`,
    );
    await expect(build(await project('missing-tag', 'scratch', [`${host}/libs/runtime:nightly`]))).rejects.toThrow(`dependency ${host}/libs/runtime:nightly does not resolve on the Hub at ${host}: `);
    await expect(build(await project('other-hub', 'scratch', ['hub.example/libs/runtime:^1']))).rejects.toThrow('a Hub is needed to resolve the dependencies of the build on hub.example');
  });

  it('keeps lock entries of other references and replaces those it resolved again', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const other = { ref: 'h/libs/other:^1', tag: '1.0.0', digest };
    const again = { ref: 'h/libs/runtime:^1', tag: '1.2.0', digest, pinned: 'x', locked: false };
    expect(lockedDependencies([other, { ref: 'h/libs/runtime:^1', tag: '1.0.0', digest }], [again])).toEqual([other, { ref: 'h/libs/runtime:^1', tag: '1.2.0', digest }]);
    expect(dependencyRef('h:1', { repository: 'libs/a', version: { kind: 'tag', tag: 'v1' }, reference: 'libs/a:v1' })).toBe('h:1/libs/a:v1');
  });
});
