/** `nocker pull` end to end against a real Hub, into layouts in a temporary directory. */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, type TestHub } from '../conformance/harness.ts';
import { HubClient } from '../hub/client/client.ts';
import { imageStorePath, pullCommand, pullToLayout } from './pull.ts';
import { OciLayout } from '../engine/image/layout.ts';
import { parseRemoteReference } from '../hub/client/pull.ts';
import { shortDigest, transferLine } from './progress.ts';
import { screenOf, runOnTerminal } from './terminal-testing.ts';
import { type CliTestHub, pushPlatformIndex, pushSampleImage, run, sha256, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;
let skopeo = false;
try {
  execFileSync('sh', ['-c', 'command -v skopeo'], { stdio: 'ignore' });
  skopeo = true;
} catch {
  skopeo = false;
}

/** Pushes a one-layer image as the administrator. */
function pushSample(repository: string, tag: string, architecture?: string) {
  return pushSampleImage(cli.admin(), repository, tag, architecture);
}

async function indexNames(layout: string): Promise<Record<string, string>> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  return Object.fromEntries(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m.digest]));
}

beforeAll(async () => {
  cli = await startCliTestHub('pull-cli');
  ({ hub, host, dir, env } = cli);
});

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker pull', () => {
  it('writes an OCI layout named by the tag and prints the digest; a second pull downloads nothing', async () => {
    const image = await pushSample('pulled/app', 'v1');
    const out = join(dir, 'out');
    const first = await run(pullCommand, [`${host}/pulled/app:v1`, '--output', out], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${image.digest}\n`);
    expect(first.stderr).toContain('downloaded');
    expect(await indexNames(out)).toEqual({ v1: image.digest });
    expect(JSON.parse(await readFile(join(out, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(await readdir(join(out, 'blobs/sha256'))).toHaveLength(3);
    const again = await run(pullCommand, ['pulled/app:v1', '-o', out, '--hub', hub.url], env);
    expect(again.stdout).toBe(`${image.digest}\n`);
    expect(again.stderr).not.toContain('downloaded');
    expect(again.stderr).toContain('already present');
  });

  it.skipIf(!skopeo)('gives a layout skopeo reads', async () => {
    const image = await pushSample('pulled/skopeo', '1.0');
    const out = join(dir, 'skopeo');
    await run(pullCommand, [`${host}/pulled/skopeo:1.0`, '--output', out], env);
    const text = execFileSync('skopeo', ['inspect', `oci:${out}:1.0`], { encoding: 'utf8' });
    expect(JSON.parse(text)).toMatchObject({ Digest: image.digest, Architecture: 'amd64', Os: 'linux' });
    // A copy reads every blob back and checks it against its digest.
    execFileSync('skopeo', ['copy', '--quiet', `oci:${out}:1.0`, `dir:${join(dir, 'skopeo-copy')}`]);
    expect(await readdir(join(dir, 'skopeo-copy'))).toContain('manifest.json');
  });

  it('pulls into the local store by tag and by digest, adding to it', async () => {
    const one = await pushSample('pulled/store', 'a');
    const two = await pushSample('pulled/store', 'b');
    await run(pullCommand, [`${host}/pulled/store:a`], env);
    const byDigest = await run(pullCommand, [`${host}/pulled/store@${two.digest}`], env);
    expect(byDigest.stdout).toBe(`${two.digest}\n`);
    const store = imageStorePath(env);
    expect(store).toBe(join(dir, 'data/images'));
    expect(await indexNames(store)).toEqual({ [`${host}/pulled/store:a`]: one.digest, [`${host}/pulled/store@${two.digest}`]: two.digest });
    expect(imageStorePath({ HOME: '/home/ann' })).toBe('/home/ann/.local/share/nocker/images');
  });

  it('picks the platform of an index and prints the index digest', async () => {
    const amd = await pushSample('pulled/multi', 'amd');
    const arm = await pushSample('pulled/multi', 'arm', 'arm64');
    const client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const index = await pushPlatformIndex(client, 'pulled/multi', 'all', [
      { ...amd, architecture: 'amd64' },
      { ...arm, architecture: 'arm64' },
    ]);
    const out = join(dir, 'multi');
    const result = await run(pullCommand, [`${host}/pulled/multi:all`, '-o', out, '--platform', 'linux/arm64'], env);
    expect(result.stdout).toBe(`${sha256(index)}\n`);
    expect(result.stderr).toContain(`linux/arm64: ${arm.digest}`);
    expect(await indexNames(out)).toEqual({ all: arm.digest });
    await expect(run(pullCommand, [`${host}/pulled/multi:all`, '-o', out, '--platform', 'linux/ppc64le'], env)).rejects.toThrow('has no image for linux/ppc64le');
  });

  it('keeps no blob and no name when a blob arrives corrupted', async () => {
    await pushSample('pulled/corrupt', 'v1');
    const lying = new HubClient({
      url: hub.url,
      credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password },
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (!String(input).includes('/blobs/sha256:') || !res.ok || init?.method === 'HEAD') return res;
        const bytes = Buffer.from(await res.arrayBuffer());
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
        return new Response(bytes, { status: 200, headers: res.headers });
      },
    });
    const out = join(dir, 'corrupt');
    const layout = await OciLayout.open(out);
    const remote = { reference: parseRemoteReference('pulled/corrupt:v1'), client: lying, host };
    await expect(pullToLayout(remote, layout, 'v1', { os: 'linux', architecture: 'amd64' })).rejects.toThrow('arrived with the digest');
    expect(await readdir(join(out, 'blobs/sha256'))).toEqual([]);
    expect(await readdir(join(out, '.ingest'))).toEqual([]);
    expect(await indexNames(out)).toEqual({});
  });

  it('refuses what it cannot do, with one-sentence errors', async () => {
    await expect(run(pullCommand, [], env)).rejects.toThrow(UsageError);
    await expect(run(pullCommand, ['a:1', 'b:2'], env)).rejects.toThrow('one reference');
    await expect(run(pullCommand, [`${host}/x:1`, '--platform', 'amd64'], env)).rejects.toThrow('not a platform');
    await expect(run(pullCommand, [`${host}/Bad:1`], env)).rejects.toThrow('not a valid repository name');
    await expect(run(pullCommand, [`${host}/x:1`, '--hub', '127.0.0.2:1'], env)).rejects.toThrow('--hub names');
    await expect(run(pullCommand, [`${host}/pulled/app:missing`, '-o', join(dir, 'none')], env)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
  });

  it('--quiet prints only the digest; --json one document naming what was pulled', async () => {
    const image = await pushSample('pulled/flags', 'v1');
    const out = join(dir, 'flags');
    const quiet = await run(pullCommand, [`${host}/pulled/flags:v1`, '-o', out, '-q'], env);
    expect(quiet).toEqual({ code: 0, stdout: `${image.digest}\n`, stderr: '' });
    const json = await run(pullCommand, [`${host}/pulled/flags:v1`, '-o', out, '--json', '--quiet'], env);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({
      name: `${host}/pulled/flags:v1`,
      digest: image.digest,
      manifest: image.digest,
      platform: 'linux/amd64',
      layout: out,
      layoutName: 'v1',
      blobs: [
        { digest: image.config, outcome: 'present' },
        { digest: image.layer.digest, outcome: 'present' },
      ],
    });
    const loud = await run(pullCommand, [`${host}/pulled/flags:v1`, '-o', join(dir, 'flags-json'), '--json'], env);
    expect(loud.stderr).toContain('downloaded');
    expect((JSON.parse(loud.stdout) as { blobs: { outcome: string }[] }).blobs.map((b) => b.outcome)).toEqual(['downloaded', 'downloaded']);
  });

  it('on a terminal, shows each download\'s bytes in place and leaves only the finished lines', async () => {
    const image = await pushSample('pulled/terminal', 'v1');
    const result = await runOnTerminal(pullCommand, [`${host}/pulled/terminal:v1`, '-o', join(dir, 'terminal')], env);
    expect(result.stdout).toBe(`${image.digest}\n`);
    expect(result.stderr).toContain(transferLine(image.layer.digest, image.layer.size, image.layer.size));
    expect(screenOf(result.stderr)).toEqual([`${shortDigest(image.config)}: downloaded`, `${shortDigest(image.layer.digest)}: downloaded`, '']);
  });

  it('prints its help with an example', async () => {
    const result = await run(pullCommand, ['--help'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Example:');
    expect(result.stdout).toContain('nocker pull 127.0.0.1:5000/');
  });
});
