/** `nocker tag` against a real Hub: within a repository, across repositories (mounts), indexes. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../conformance/harness.ts';
import { imageConfig } from '../engine/image/config.ts';
import { imageManifest } from '../engine/image/manifest.ts';
import { HubClient } from '../hub/client/client.ts';
import { fetchManifest } from '../hub/client/pull.ts';
import { pushImage } from '../hub/client/push.ts';
import { MediaType } from '../hub/oci/mediatypes.ts';
import { DockerConfigError } from './docker-config.ts';
import { loginCommand } from './login.ts';
import { mountBlob, tagCommand } from './tag.ts';
import { run } from './testing.ts';
import { UsageError } from './usage.ts';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let client: HubClient;

/** Pushes a one-layer image; resolves to its manifest digest and size and its blobs' digests. */
async function pushSample(repository: string, tag: string, architecture = 'amd64'): Promise<{ digest: string; size: number; blobs: string[] }> {
  const layer = Buffer.from(`layer of ${repository} for ${architecture}`);
  const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length, bytes: layer }];
  const config = imageConfig({ os: 'linux', architecture, diffIds: [sha256(layer)], created: 0 });
  const manifest = imageManifest({ config, layers, created: 0 });
  await pushImage(client, repository, tag, { config, layers, manifest });
  return { digest: manifest.digest, size: manifest.size, blobs: [config.digest, sha256(layer)] };
}

async function blobStatus(repository: string, digest: string): Promise<number> {
  const res = await client.v2('HEAD', `/v2/${repository}/blobs/${digest}`);
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  hub = await startTestHub();
  host = new URL(hub.url).host;
  dir = await mkdtemp(join(tmpdir(), 'nocker-tag-cli-'));
  env = { DOCKER_CONFIG: join(dir, 'docker') };
  await run(loginCommand, [hub.url, '-u', TEST_ADMIN.username, '--password-stdin'], env, TEST_ADMIN.password);
  client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
});

afterAll(async () => {
  await hub?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('nocker tag', () => {
  it('puts the manifest under a new tag in the same repository, digest unchanged', async () => {
    const image = await pushSample('tagged/app', 'build-1');
    const result = await run(tagCommand, [`${host}/tagged/app:build-1`, `${host}/tagged/app:stable`], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${image.digest}\n`);
    expect((await fetchManifest(client, 'tagged/app', 'stable')).digest).toBe(image.digest);
    const byDigest = await run(tagCommand, [`tagged/app@${image.digest}`, 'tagged/app:pinned', '--hub', hub.url], env);
    expect(byDigest.stdout).toBe(`${image.digest}\n`);
  });

  it('mounts the blobs into another repository first', async () => {
    const image = await pushSample('tagged/source', 'v1');
    for (const blob of image.blobs) expect(await blobStatus('released/app', blob)).toBe(404);
    const result = await run(tagCommand, ['tagged/source:v1', 'released/app:1.0'], { ...env, NOCKER_HUB: host });
    expect(result.stdout).toBe(`${image.digest}\n`);
    expect(result.stderr).toContain('mounted');
    for (const blob of image.blobs) expect(await blobStatus('released/app', blob)).toBe(200);
    expect((await fetchManifest(client, 'released/app', '1.0')).digest).toBe(image.digest);
    const again = await run(tagCommand, ['tagged/source:v1', 'released/app:1.1'], { ...env, NOCKER_HUB: host });
    expect(again.stderr).toContain('already there');
  });

  it('copies the blob through this machine when the Hub declines the mount', async () => {
    const image = await pushSample('tagged/declined', 'v1');
    const declining = new HubClient({
      url: hub.url,
      credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password },
      fetch: (input, init) => fetch(String(input).replace(/mount=[^&]*&?/, ''), init),
    });
    const layer = image.blobs[1] ?? '';
    const size = Buffer.from('layer of tagged/declined for amd64').length;
    const outcome = await mountBlob(declining, 'tagged/declined', 'released/declined', { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size });
    expect(outcome).toBe('copied');
    expect(await blobStatus('released/declined', layer)).toBe(200);
  });

  it('copies an index with the manifests it lists', async () => {
    const amd = await pushSample('tagged/multi', 'amd');
    const arm = await pushSample('tagged/multi', 'arm', 'arm64');
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        { mediaType: MediaType.OciManifest, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MediaType.OciManifest, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    });
    expect((await client.v2('PUT', '/v2/tagged/multi/manifests/all', { headers: { 'Content-Type': MediaType.OciIndex }, body: index })).status).toBe(201);
    const result = await run(tagCommand, [`${host}/tagged/multi:all`, `${host}/released/multi:all`], env);
    expect(result.stdout).toBe(`${sha256(index)}\n`);
    expect((await fetchManifest(client, 'released/multi', arm.digest)).digest).toBe(arm.digest);
    for (const blob of [...amd.blobs, ...arm.blobs]) expect(await blobStatus('released/multi', blob)).toBe(200);
  });

  it('refuses what it cannot do, with one-sentence errors', async () => {
    await pushSample('tagged/errors', 'v1');
    await expect(run(tagCommand, ['tagged/errors:v1'], env)).rejects.toThrow(UsageError);
    await expect(run(tagCommand, [`${host}/tagged/errors:v1`, `${host}/tagged/errors@${sha256('x')}`], env)).rejects.toThrow('give a tag');
    await expect(run(tagCommand, [`${host}/tagged/errors:v1`, '127.0.0.2:5000/other/app:v1'], env)).rejects.toThrow(UsageError);
    await expect(run(tagCommand, [`${host}/tagged/errors:v1`, `${host}/tagged/errors:v2`], { DOCKER_CONFIG: join(dir, 'nobody') })).rejects.toThrow(DockerConfigError);
    await expect(run(tagCommand, [`${host}/tagged/errors:missing`, `${host}/tagged/errors:v2`], env)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    const help = await run(tagCommand, ['--help'], env);
    expect(help.stdout).toContain('nocker tag 127.0.0.1:5000/team/app:build-42');
  });
});
