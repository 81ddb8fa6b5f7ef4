/** `nocker import` end to end against a real Hub, with DOCKER_CONFIG in a temporary directory. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../conformance/harness.ts';
import { DockerConfigError } from './docker-config.ts';
import { importCommand } from './import.ts';
import { runOnTerminal, screenOf } from './terminal-testing.ts';
import { type CliTestHub, run, sha256, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;
const admin = () => cli.admin();

interface Manifest {
  config: { digest: string };
  layers: { digest: string; mediaType: string }[];
}

/** Fetches a manifest and its blobs back, checking every digest. */
async function fetchImage(repository: string, tag: string): Promise<{ digest: string; manifest: Manifest; config: Record<string, unknown> }> {
  const client = admin();
  const res = await client.v2('GET', `/v2/${repository}/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const manifest = JSON.parse(Buffer.from(bytes).toString()) as Manifest;
  let config: Record<string, unknown> = {};
  for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const blob = await client.v2('GET', `/v2/${repository}/blobs/${digest}`);
    expect(blob.status).toBe(200);
    const data = new Uint8Array(await blob.arrayBuffer());
    expect(sha256(data)).toBe(digest);
    if (digest === manifest.config.digest) config = JSON.parse(Buffer.from(data).toString()) as Record<string, unknown>;
  }
  return { digest: sha256(bytes), manifest, config };
}

beforeAll(async () => {
  cli = await startCliTestHub('import-cli');
  ({ hub, host, dir, env } = cli);
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'NAME=test\n');
  await symlink('etc/os-release', join(root, 'os-release'));
  execFileSync('tar', ['-czf', join(dir, 'rootfs.tar.gz'), '-C', root, '.']);
});

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker import', () => {
  it('pushes the tarball as a one-layer image and prints its digest; again gives the same digest', async () => {
    const first = await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/imported/base:v1`], env);
    expect(first.code).toBe(0);
    const digest = first.stdout.trim();
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(first.stderr).toContain('pushed');
    const image = await fetchImage('imported/base', 'v1');
    expect(image.digest).toBe(digest);
    expect(image.manifest.layers).toHaveLength(1);
    expect(image.manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(image.config).toMatchObject({ os: 'linux', architecture: 'amd64', created: '1970-01-01T00:00:00Z' });

    const again = await run(importCommand, [join(dir, 'rootfs.tar.gz'), 'imported/base:v2', '--hub', hub.url], env);
    expect(again.stdout.trim()).toBe(digest);
    expect(again.stderr).toContain('already on the Hub');
  });

  it('takes the platform and SOURCE_DATE_EPOCH', async () => {
    const result = await run(importCommand, [join(dir, 'rootfs.tar.gz'), 'imported/arm:latest', '--platform', 'linux/arm64/v8', '-m', 'hello'], { ...env, NOCKER_HUB: host, SOURCE_DATE_EPOCH: '1700000000' });
    const image = await fetchImage('imported/arm', 'latest');
    expect(image.digest).toBe(result.stdout.trim());
    expect(image.config).toMatchObject({ architecture: 'arm64', variant: 'v8', created: '2023-11-14T22:13:20Z', history: [{ created_by: 'nocker import', comment: 'hello' }] });
  });

  it('needs credentials, a tarball and a valid reference', async () => {
    await expect(run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/x/y:1`], { DOCKER_CONFIG: join(dir, 'nobody') })).rejects.toThrow(DockerConfigError);
    await expect(run(importCommand, [join(dir, 'rootfs.tar.gz')], env)).rejects.toThrow(UsageError);
    await expect(run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/Bad:1`], env)).rejects.toThrow('not a valid repository name');
    await expect(run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/x:1`, '--hub', '127.0.0.2:1'], env)).rejects.toThrow('--hub names');
    await expect(run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/x:1`, '--platform', 'amd64'], env)).rejects.toThrow('not a platform');
  });

  it('fails on a missing tarball with an error naming it (no stray stream error crashes the process)', async () => {
    await expect(run(importCommand, [join(dir, 'missing.tar.gz'), `${host}/x/missing:1`], env)).rejects.toThrow(/ENOENT.*missing\.tar\.gz/);
  });

  it('--quiet prints only the digest; --json one document with the layer and the blobs', async () => {
    const quiet = await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/imported/flags:v1`, '-q'], env);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const digest = quiet.stdout.trim();
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    const json = await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/imported/flags:v2`, '--json'], env);
    expect(json.stderr).toContain('already on the Hub');
    const document = JSON.parse(json.stdout) as { layer: { digest: string; size: number }; config: string };
    expect(document).toMatchObject({ name: `${host}/imported/flags:v2`, digest, platform: 'linux/amd64', notes: [] });
    const image = await fetchImage('imported/flags', 'v2');
    expect(image.manifest.layers[0]?.digest).toBe(document.layer.digest);
    expect(document.layer.size).toBeGreaterThan(0);
    expect(json.stdout).toContain(`{\n      "digest": "${document.layer.digest}",\n      "outcome": "exists"\n    }`);
  });

  it('on a terminal, shows the upload\'s bytes in place and leaves only the finished lines', async () => {
    const tarball = join(dir, 'terminal.tar');
    await mkdir(join(dir, 'terminal-root'));
    await writeFile(join(dir, 'terminal-root/data'), randomBytes(200_000));
    execFileSync('tar', ['-cf', tarball, '-C', join(dir, 'terminal-root'), '.']);
    const result = await runOnTerminal(importCommand, [tarball, `${host}/imported/terminal:v1`], env);
    expect(result.code).toBe(0);
    const screen = screenOf(result.stderr);
    expect(screen).toHaveLength(3);
    expect(screen[0]).toMatch(/^[a-f0-9]{12}: pushed$/);
    expect(screen[1]).toMatch(/^[a-f0-9]{12}: pushed$/);
    expect(screen[2]).toBe('');
    expect(result.stderr).toContain(`reading ${tarball}…`);
    expect(result.stderr).toMatch(/\[====================\] 100% {2}200\.\d KB \/ 200\.\d KB/);
  });

  it('prints its help with an example', async () => {
    const result = await run(importCommand, ['--help'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nocker import alpine-minirootfs.tar.gz');
  });

  it.skipIf(!existsSync('/bin/busybox'))('imports a tarball holding busybox', async () => {
    const root = join(dir, 'busybox');
    await mkdir(join(root, 'bin'), { recursive: true });
    await copyFile('/bin/busybox', join(root, 'bin/busybox'));
    await symlink('busybox', join(root, 'bin/sh'));
    execFileSync('tar', ['-cf', join(dir, 'busybox.tar'), '-C', root, '.']);
    const result = await run(importCommand, [join(dir, 'busybox.tar'), `${host}/imported/busybox:latest`], env);
    const image = await fetchImage('imported/busybox', 'latest');
    expect(image.digest).toBe(result.stdout.trim());
  });
});
