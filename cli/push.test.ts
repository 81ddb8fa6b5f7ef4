/**
 * `nocker push` end to end against a real Hub: an image built without --push into a temporary
 * local store, then pushed from there; an index the store holds; and the failures.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../conformance/harness.ts';
import { OciLayout } from '../engine/image/layout.ts';
import { MediaType } from '../hub/oci/mediatypes.ts';
import { buildCommand } from './build.ts';
import { importCommand } from './import.ts';
import { imageStorePath, pullCommand } from './pull.ts';
import { shortDigest, transferLine } from './progress.ts';
import { PUSH_HELP, pushCommand } from './push.ts';
import { runOnTerminal, screenOf } from './terminal-testing.ts';
import { type CliTestHub, pushPlatformIndex, pushSampleImage, run, sha256, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;
let baseLayer: string;
const FIXTURE = join(import.meta.dirname, '../conformance/fixtures/sample');
const BIN = fileURLToPath(new URL('./nocker.js', import.meta.url));
const admin = () => cli.admin();

/** Copy, workdir and env steps only, so that the build needs no container runtime. */
const NOCKERFILE = `version: "1.0"
name: pushed/app
build:
  base: pushed/base:1.0
  steps:
    - copy: . /app
    - workdir: /app
    - env: { MODE: release }
    - copy: bin/start.sh /usr/local/bin/start
run:
  command: ["/usr/local/bin/start"]
`;

/** A copy of the sample project with a Nockerfile of its own; resolves to the Nockerfile's path. */
async function project(name: string): Promise<string> {
  const root = join(dir, name);
  await cp(FIXTURE, root, { recursive: true });
  await writeFile(join(root, 'Nockerfile.yml'), NOCKERFILE);
  return join(root, 'Nockerfile.yml');
}

/** The manifest the Hub serves under `reference`, with the digest of its bytes. */
async function served(repository: string, reference: string): Promise<{ status: number; digest?: string; layers?: { digest: string }[] }> {
  const res = await admin().v2('GET', `/v2/${repository}/manifests/${reference}`, { headers: { Accept: `${MediaType.OciManifest}, ${MediaType.OciIndex}` } });
  if (!res.ok) {
    await res.body?.cancel();
    return { status: res.status };
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const { layers } = JSON.parse(Buffer.from(bytes).toString()) as { layers?: { digest: string }[] };
  return { status: res.status, digest: sha256(bytes), ...(layers ? { layers } : {}) };
}

/** Runs the real executable; resolves to its exit code and output. */
function nocker(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000, encoding: 'utf8' }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

beforeAll(async () => {
  cli = await startCliTestHub('push-cli', ({ host }) => ({ NOCKER_HUB: host }));
  ({ hub, host, dir, env } = cli);
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'NAME=push-base\n');
  execFileSync('tar', ['-czf', join(dir, 'rootfs.tar.gz'), '-C', root, '.']);
  const imported = await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/pushed/base:1.0`], env);
  expect(imported.code, imported.stderr).toBe(0);
  baseLayer = (await served('pushed/base', '1.0')).layers?.[0]?.digest ?? '';
});

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker push', () => {
  it('pushes what nocker build kept in the local store: the same digest, base layer included; again, only what is missing', async () => {
    const name = `${host}/pushed/app:v1`;
    const built = await run(buildCommand, ['-f', await project('app'), '-t', name], env);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toContain(`${baseLayer.slice(7, 19)}: downloaded\n`);
    expect(built.stderr).toContain(`built ${name} (in the local store; push it with nocker push ${name})\n`);
    const digest = built.stdout.trim();
    expect(await served('pushed/app', 'v1')).toEqual({ status: 404 });
    const store = await OciLayout.open(imageStorePath(env));
    expect((await store.find(name))?.digest).toBe(digest);

    const pushed = await run(pushCommand, [name], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toBe(`${digest}\n`);
    expect(pushed.stderr.split('\n').filter((line) => line.endsWith(': pushed'))).toHaveLength(4);
    expect(pushed.stderr).toContain(`${baseLayer.slice(7, 19)}: pushed\n`);
    expect(pushed.stderr).toContain(`pushed ${name}\n`);
    const image = await served('pushed/app', 'v1');
    expect(image.digest).toBe(digest);
    expect(image.layers?.[0]?.digest).toBe(baseLayer);
    const layer = await admin().v2('GET', `/v2/pushed/app/blobs/${baseLayer}`);
    expect(sha256(new Uint8Array(await layer.arrayBuffer()))).toBe(baseLayer);

    const again = await run(pushCommand, ['pushed/app:v1', '--hub', hub.url], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${digest}\n`);
    expect(again.stderr.split('\n').filter((line) => line.endsWith(': already on the Hub'))).toHaveLength(4);
    expect(again.stderr).not.toContain(': pushed');

    const quiet = await run(pushCommand, ['-q', '--json', name], env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const result = JSON.parse(quiet.stdout) as { name: string; digest: string; blobs: { digest: string; outcome: string }[] };
    expect(result).toMatchObject({ name, digest });
    expect(result.blobs.map((b) => b.outcome)).toEqual(['exists', 'exists', 'exists', 'exists']);
    expect(result.blobs[0]?.digest).toBe(baseLayer);
  });

  it('pushes an index the store holds after the images it lists, each with its blobs; on a terminal with progress', async () => {
    const amd64 = await pushSampleImage(admin(), 'pushed/multi', 'amd64');
    const arm64 = await pushSampleImage(admin(), 'pushed/multi', 'arm64', 'arm64');
    const index = Buffer.from(await pushPlatformIndex(admin(), 'pushed/multi', 'all', [{ ...amd64, architecture: 'amd64' }, { ...arm64, architecture: 'arm64' }]));
    for (const platform of ['linux/amd64', 'linux/arm64']) expect((await run(pullCommand, [`${host}/pushed/multi:all`, '--platform', platform], env)).code).toBe(0);
    const store = await OciLayout.open(imageStorePath(env));
    await store.writeBlob(sha256(index), index);
    await store.tag({ mediaType: MediaType.OciIndex, digest: sha256(index), size: index.length }, `${host}/pushed/copy:all`);

    const pushed = await run(pushCommand, [`${host}/pushed/copy:all`], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toBe(`${sha256(index)}\n`);
    expect(pushed.stderr.split('\n').filter((line) => line.endsWith(': pushed'))).toHaveLength(4);
    expect((await served('pushed/copy', 'all')).digest).toBe(sha256(index));
    expect((await served('pushed/copy', arm64.digest)).digest).toBe(arm64.digest);

    // On a terminal each upload's bytes are drawn in place, and only the finished lines stay.
    const arm64Entry = await store.find(`${host}/pushed/multi:all`);
    expect(arm64Entry?.digest).toBe(arm64.digest);
    await store.tag({ mediaType: MediaType.OciManifest, digest: arm64.digest, size: arm64.size }, `${host}/pushed/terminal:v1`);
    const drawn = await runOnTerminal(pushCommand, [`${host}/pushed/terminal:v1`], env);
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stderr).toContain(transferLine(arm64.layer.digest, arm64.layer.size, arm64.layer.size));
    expect(screenOf(drawn.stderr)).toEqual([`${shortDigest(arm64.layer.digest)}: pushed`, `${shortDigest(arm64.config)}: pushed`, `pushed ${host}/pushed/terminal:v1`, '']);
  });

  it('pushes an image named by digest, and checks a digest given beside the tag', async () => {
    const name = `${host}/pushed/app:v1`;
    const digest = (await OciLayout.open(imageStorePath(env)).then((store) => store.find(name)))?.digest ?? '';
    const pulled = await run(pullCommand, [`${host}/pushed/app@${digest}`], env);
    expect(pulled.code, pulled.stderr).toBe(0);
    const byDigest = await run(pushCommand, [`${host}/pushed/app@${digest}`], env);
    expect(byDigest.code, byDigest.stderr).toBe(0);
    expect(byDigest.stdout).toBe(`${digest}\n`);

    const wrong = `sha256:${'0'.repeat(64)}`;
    const mismatch = await run(pushCommand, [`${name}@${wrong}`], env);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`${name} in the local store is ${digest}, not ${wrong}`);
  });

  it('says how to get an image the store does not hold (exit 1), and asks for a login', async () => {
    const missing = await run(pushCommand, [`${host}/pushed/none:v1`], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain(`no image ${host}/pushed/none:v1 in the local store`);
    expect(missing.stderr).toContain(`"nocker build -t ${host}/pushed/none:v1" or pull it with "nocker pull ${host}/pushed/none:v1" first`);

    const anonymous = await run(pushCommand, [`${host}/pushed/app:v1`], { ...env, DOCKER_CONFIG: join(dir, 'nobody') });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('nocker login');
  });

  it('refuses bad arguments with a usage error (exit 2) and prints its help', async () => {
    await expect(run(pushCommand, [], env)).rejects.toThrow(UsageError);
    await expect(run(pushCommand, ['a:1', 'b:2'], env)).rejects.toThrow('one reference');
    await expect(run(pushCommand, [`${host}/Bad:1`], env)).rejects.toThrow('not a valid repository name');
    await expect(run(pushCommand, [`${host}/x:1`, '--hub', '127.0.0.2:1'], env)).rejects.toThrow('--hub names');
    await expect(run(pushCommand, ['x:1', '--push'], env)).rejects.toThrow(UsageError);
    const help = await run(pushCommand, ['--help'], env);
    expect(help.stdout).toBe(PUSH_HELP);
    expect(PUSH_HELP).toContain('Example:');

    expect((await nocker(['push'])).code).toBe(2);
    const missing = await nocker(['push', `${host}/pushed/none:v1`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nocker pull');
  });
});
