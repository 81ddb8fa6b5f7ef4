/** `nocker tag` against a real Hub: within a repository, across repositories (mounts), indexes. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, type TestHub } from '../conformance/harness.ts';
import { HubClient } from '../hub/client/client.ts';
import { fetchManifest } from '../hub/client/pull.ts';
import { DockerConfigError } from './docker-config.ts';
import { mountBlob, tagCommand } from './tag.ts';
import { type CliTestHub, pushPlatformIndex, pushSampleImage, run, sha256, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;
let client: HubClient;

const pushSample = (repository: string, tag: string, architecture?: string) => pushSampleImage(client, repository, tag, architecture);

async function blobStatus(repository: string, digest: string): Promise<number> {
  const res = await client.v2('HEAD', `/v2/${repository}/blobs/${digest}`);
  await res.body?.cancel();
  return res.status;
}

beforeAll(async () => {
  cli = await startCliTestHub('tag-cli');
  ({ hub, host, dir, env } = cli);
  client = cli.admin();
});

afterAll(async () => {
  await cli?.destroy();
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
    const outcome = await mountBlob(declining, 'tagged/declined', 'released/declined', { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...image.layer });
    expect(outcome).toBe('copied');
    expect(await blobStatus('released/declined', image.layer.digest)).toBe(200);
  });

  it('copies an index with the manifests it lists', async () => {
    const amd = await pushSample('tagged/multi', 'amd');
    const arm = await pushSample('tagged/multi', 'arm', 'arm64');
    const index = await pushPlatformIndex(client, 'tagged/multi', 'all', [
      { ...amd, architecture: 'amd64' },
      { ...arm, architecture: 'arm64' },
    ]);
    const result = await run(tagCommand, [`${host}/tagged/multi:all`, `${host}/released/multi:all`], env);
    expect(result.stdout).toBe(`${sha256(index)}\n`);
    expect((await fetchManifest(client, 'released/multi', arm.digest)).digest).toBe(arm.digest);
    for (const blob of [...amd.blobs, ...arm.blobs]) expect(await blobStatus('released/multi', blob)).toBe(200);
  });

  it('--quiet prints only the digest; --json the target, source and what became of each blob', async () => {
    const image = await pushSample('tagged/flags', 'v1');
    const quiet = await run(tagCommand, [`${host}/tagged/flags:v1`, `${host}/released/flags:v1`, '-q'], env);
    expect(quiet).toEqual({ code: 0, stdout: `${image.digest}\n`, stderr: '' });
    const json = await run(tagCommand, [`${host}/tagged/flags:v1`, `${host}/released/flags:v2`, '--json'], env);
    expect(json.stderr).toContain('already there');
    expect(JSON.parse(json.stdout)).toEqual({
      name: `${host}/released/flags:v2`,
      digest: image.digest,
      source: `${host}/tagged/flags:v1`,
      blobs: [
        { digest: image.config, outcome: 'exists' },
        { digest: image.layer.digest, outcome: 'exists' },
      ],
    });
  });

  it('reports the bytes of a copied blob both ways when the Hub declines the mount', async () => {
    const image = await pushSample('tagged/progress', 'v1');
    const declining = new HubClient({
      url: hub.url,
      credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password },
      fetch: (input, init) => fetch(String(input).replace(/mount=[^&]*&?/, ''), init),
    });
    const seen: string[] = [];
    const blob = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...image.layer };
    expect(await mountBlob(declining, 'tagged/progress', 'released/progress', blob, (digest, done, total) => seen.push(`${digest}:${done}/${total}`))).toBe('copied');
    const whole = `${image.layer.digest}:${image.layer.size}/${image.layer.size}`;
    const start = `${image.layer.digest}:0/${image.layer.size}`;
    // Downloaded from 0 to the whole, then uploaded from 0 to the whole.
    expect(seen.filter((s) => s === start)).toHaveLength(2);
    expect(seen.filter((s) => s === whole)).toHaveLength(2);
    expect(seen.at(-1)).toBe(whole);
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
