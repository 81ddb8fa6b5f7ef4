/** `nocker build` end to end against a real Hub, on a base image made with `nocker import`. */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../conformance/harness.ts';
import { readTar } from '../hub/oci/tar-reader.ts';
import { skipRunSteps, writeBusyboxTarball } from '../engine/build/testing.ts';
import { buildCommand } from './build.ts';
import { importCommand } from './import.ts';
import { type CliTestHub, run, sha256, startCliTestHub } from './testing.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;
let baseDigest: string;
const FIXTURE = join(import.meta.dirname, '../conformance/fixtures/sample');
const admin = () => cli.admin();

interface Manifest {
  config: { digest: string };
  layers: { digest: string; mediaType: string }[];
  annotations: Record<string, string>;
}

async function blob(repository: string, digest: string): Promise<Buffer> {
  const res = await admin().v2('GET', `/v2/${repository}/blobs/${digest}`);
  expect(res.status).toBe(200);
  const data = Buffer.from(await res.arrayBuffer());
  expect(sha256(data)).toBe(digest);
  return data;
}

async function fetchImage(repository: string, tag: string): Promise<{ digest: string; manifest: Manifest; config: Record<string, unknown> }> {
  const res = await admin().v2('GET', `/v2/${repository}/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const manifest = JSON.parse(Buffer.from(bytes).toString()) as Manifest;
  const config = JSON.parse((await blob(repository, manifest.config.digest)).toString()) as Record<string, unknown>;
  return { digest: sha256(bytes), manifest, config };
}

async function layerFile(repository: string, digest: string, path: string): Promise<string | undefined> {
  for await (const entry of readTar([gunzipSync(await blob(repository, digest))])) {
    if (entry.path !== path) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of entry.content) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  }
  return undefined;
}

async function layerPaths(repository: string, digest: string): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of readTar([gunzipSync(await blob(repository, digest))])) paths.push(`${entry.path}:${entry.uid}:${(entry.mode & 0o777).toString(8)}`);
  return paths;
}

/** A fresh copy of the sample project, with a file its .nockerignore leaves out. */
async function sample(name: string): Promise<string> {
  const root = join(dir, name);
  await cp(FIXTURE, root, { recursive: true });
  await mkdir(join(root, 'logs'), { recursive: true });
  await writeFile(join(root, 'logs/debug.log'), 'left out\n');
  return root;
}

// The sample's run step needs a container runtime and a busybox base to run in.
describe.skipIf(skipRunSteps())('nocker build', () => {
  beforeAll(async () => {
    cli = await startCliTestHub('build-cli');
    ({ hub, host, dir, env } = cli);
    await writeBusyboxTarball(dir, join(dir, 'rootfs.tar.gz'));
    const imported = await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/sample/base:1.0`], env);
    baseDigest = imported.stdout.trim();
  });

  afterAll(async () => {
    await cli?.destroy();
  });

  it('builds and pushes the sample project on its base, which it mounts rather than downloads', async () => {
    const root = await sample('push');
    const result = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '--push', '--hub', hub.url], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('[1/5] copy . /app\n');
    expect(result.stderr).toContain('[3/5] run sh bin/start.sh > built.txt && rm /etc/motd && mkdir -p /var/lib/sample\n');
    expect(result.stderr).toContain('[5/5] copy bin/start.sh /usr/local/bin/start\n');
    expect(result.stderr).toContain('mounted');
    const digest = result.stdout.trim();
    const image = await fetchImage('sample/app', 'latest');
    expect(image.digest).toBe(digest);

    const base = await fetchImage('sample/base', '1.0');
    expect(image.manifest.layers).toHaveLength(4);
    expect(image.manifest.layers[0]?.digest).toBe(base.manifest.layers[0]?.digest);
    const policies = '{"resources":{"cpu":1,"memory":64000000},"security":{"level":"high","network":"restricted"}}';
    expect(image.manifest.annotations).toEqual({
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
      'org.opencontainers.image.base.name': `${host}/sample/base:1.0`,
      'org.opencontainers.image.base.digest': baseDigest,
      'dev.nocker.policies': policies,
    });
    expect(image.config).toMatchObject({
      os: 'linux',
      architecture: 'amd64',
      config: {
        Cmd: ['/usr/local/bin/start'],
        Env: ['MODE=release', 'APP_ENV=production'],
        WorkingDir: '/app',
        User: '1000:1000',
        ExposedPorts: { '3000/tcp': {}, '53/udp': {} },
        Labels: { 'dev.nocker.policies': policies },
      },
    });
    expect((image.config.history as { empty_layer?: boolean }[]).map((h) => h.empty_layer ?? false)).toEqual([false, false, true, false, true, false]);

    const app = await layerPaths('sample/app', image.manifest.layers[1]?.digest ?? '');
    expect(app).toEqual(expect.arrayContaining(['app:0:755', 'app/Nockerfile.yml:0:644', 'app/bin/start.sh:0:755', 'app/src/hello.txt:0:644']));
    expect(app.some((p) => p.includes('debug.log') || p.startsWith('app/logs'))).toBe(false);
    // The run step's layer: what the command wrote, a whiteout for what it deleted.
    expect(await layerPaths('sample/app', image.manifest.layers[2]?.digest ?? '')).toEqual(['app:0:755', 'app/built.txt:0:644', 'etc:0:755', 'etc/.wh.motd:0:644', 'var:0:755', 'var/lib:0:755', 'var/lib/sample:0:755']);
    expect(await layerFile('sample/app', image.manifest.layers[2]?.digest ?? '', 'app/built.txt')).toBe('sample app in  mode\n');
    expect(await layerPaths('sample/app', image.manifest.layers[3]?.digest ?? '')).toEqual(['usr:0:755', 'usr/local:0:755', 'usr/local/bin:0:755', 'usr/local/bin/start:0:755']);

    // The build log went along, as an artifact that refers to the image. Asked for by type: the
    // Hub's scanner may already have attached its SBOMs as referrers too.
    const referrers = await admin().v2('GET', `/v2/sample/app/referrers/${digest}?artifactType=application/vnd.nocker.build.log.v1`);
    const index = (await referrers.json()) as { manifests: { digest: string; artifactType: string }[] };
    expect(index.manifests.map((m) => m.artifactType)).toEqual(['application/vnd.nocker.build.log.v1']);
    const logManifest = await admin().v2('GET', `/v2/sample/app/manifests/${index.manifests[0]?.digest}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const logLayer = ((await logManifest.json()) as Manifest).layers[0];
    expect(logLayer?.mediaType).toBe('text/plain');
    const log = (await blob('sample/app', logLayer?.digest ?? '')).toString();
    expect(log).toContain('[3/5] run sh bin/start.sh > built.txt');
    expect(log).toContain(`built ${digest}`);

    const lock = JSON.parse(await readFile(join(root, 'Nockerfile.lock'), 'utf8')) as { bases: Record<string, string> };
    expect(lock.bases).toEqual({ [`${host}/sample/base:1.0`]: baseDigest });

    // Again: every step from the cache, the same digest; without --push only the digest.
    const again = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '-t', `${host}/sample/app:v2`, '--push'], env);
    expect(again.stderr).toContain('[1/5] copy . /app (cached)');
    expect(again.stderr).toContain('[3/5] run sh bin/start.sh > built.txt && rm /etc/motd && mkdir -p /var/lib/sample (cached)');
    expect(again.stdout.trim()).toBe(digest);
    const dry = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '--hub', host], env);
    expect(dry.stdout.trim()).toBe(digest);
    expect(dry.stderr).toContain('in the local store');
  });

  it('builds the same digest from another copy of the project, and a new one after a change', async () => {
    const root = await sample('other');
    await utimes(join(root, 'src/hello.txt'), new Date('2001-02-03'), new Date('2001-02-03'));
    await utimes(join(root, 'bin/start.sh'), new Date('2011-02-03'), new Date('2011-02-03'));
    const fresh = { ...env, NOCKER_CACHE_DIR: join(dir, 'cache-other') };
    const first = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '--hub', hub.url], fresh);
    const reference = await run(buildCommand, ['-f', join(await sample('reference'), 'Nockerfile.yml'), '--hub', hub.url], env);
    expect(first.stdout.trim()).toBe(reference.stdout.trim());
    expect(first.stderr).not.toContain('(cached)');
    await writeFile(join(root, 'src/hello.txt'), 'changed\n');
    const changed = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '--hub', hub.url], fresh);
    expect(changed.stderr).toContain('[1/5] copy . /app\n');
    expect(changed.stderr).toContain('[5/5] copy bin/start.sh /usr/local/bin/start\n');
    expect(changed.stdout.trim()).not.toBe(first.stdout.trim());
  });

  it('keeps the base digest of Nockerfile.lock until --update', async () => {
    const root = await sample('lock');
    const file = join(root, 'Nockerfile.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('sample/base:1.0', 'sample/moving:1'));
    await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/sample/moving:1`], env);
    const first = await run(buildCommand, ['-f', file, '--hub', hub.url], env);
    expect(first.code, first.stderr).toBe(0);
    const locked = await readFile(join(root, 'Nockerfile.lock'), 'utf8');

    // The tag moves to another image: the lock keeps the build on the old one.
    const other = join(dir, 'moved');
    await mkdir(other);
    await writeBusyboxTarball(other, join(dir, 'moved.tar.gz'));
    await writeFile(join(other, 'busybox-rootfs/etc/os-release'), 'NAME=moved\n');
    execFileSync('tar', ['-czf', join(dir, 'moved.tar.gz'), '-C', join(other, 'busybox-rootfs'), '.']);
    const moved = (await run(importCommand, [join(dir, 'moved.tar.gz'), `${host}/sample/moving:1`], env)).stdout.trim();
    const second = await run(buildCommand, ['-f', file, '--hub', hub.url], env);
    expect(second.stdout).toBe(first.stdout);
    expect(await readFile(join(root, 'Nockerfile.lock'), 'utf8')).toBe(locked);

    const updated = await run(buildCommand, ['-f', file, '--hub', hub.url, '--update'], env);
    expect(updated.stdout).not.toBe(first.stdout);
    expect(updated.stderr).toContain(`@${moved}`);
    expect(JSON.parse(await readFile(join(root, 'Nockerfile.lock'), 'utf8'))).toEqual({ bases: { [`${host}/sample/moving:1`]: moved }, version: 1 });
  });

  it('applies an environment over the base of the file: --env testing', async () => {
    const root = await sample('testing');
    const result = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '--env', 'testing', '-t', `${host}/sample/app:testing`, '--push'], env);
    expect(result.code, result.stderr).toBe(0);
    const image = await fetchImage('sample/app', 'testing');
    expect(image.digest).toBe(result.stdout.trim());
    const policies = '{"resources":{"cpu":1,"memory":64000000},"security":{"level":"medium","network":"restricted"}}';
    expect(image.manifest.annotations['dev.nocker.policies']).toBe(policies);
    expect(image.config).toMatchObject({ config: { Env: ['MODE=release', 'APP_ENV=testing'], Labels: { 'dev.nocker.policies': policies } } });
    // The build steps are the same as production's: the same layers.
    const production = await fetchImage('sample/app', 'latest');
    expect(image.manifest.layers).toEqual(production.manifest.layers);
  });

  it('says clearly when the base is unknown or a step fails', async () => {
    const root = await sample('unknown');
    const file = join(root, 'Nockerfile.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('sample/base:1.0', 'sample/nothing:1.0'));
    const unknown = await run(buildCommand, ['-f', file, '--hub', hub.url], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`base image ${host}/sample/nothing:1.0 not found on the Hub`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('sample/nothing:1.0', 'sample/base:1.0').replace('    - workdir: /app\n', '    - run: echo broken >&2; exit 7\n'));
    const runStep = await run(buildCommand, ['-f', file, '--hub', hub.url], env);
    expect(runStep.code).toBe(1);
    expect(runStep.stderr).toContain('step "run echo broken >&2; exit 7" failed with exit code 7; its last line:\n    broken');
  });

  it('prints its help with an example', async () => {
    const result = await run(buildCommand, ['--help'], env);
    expect(result.stdout).toContain('nocker build -f Nockerfile.yml -t 127.0.0.1:5000/team/app:v1 --push');
  });
});
