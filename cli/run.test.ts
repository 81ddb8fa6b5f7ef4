/**
 * `nocker run` and the container commands end to end: an image built and signed by
 * `nocker build --push --sign` on a busybox base, pushed to a real Hub, run by a real runtime.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipRunSteps, writeBusyboxTarball } from '../engine/build/testing.ts';
import { LAYER_MEDIA_TYPE } from '../engine/build/layer.ts';
import { rawTar, zstdStored } from '../hub/oci/testing-archives.ts';
import { imageConfig } from '../engine/image/config.ts';
import { imageManifest } from '../engine/image/manifest.ts';
import { generateSigningKeyPair } from '../engine/sign/keys.ts';
import { ContainerStore } from '../engine/runtime/containers.ts';
import { freePort } from '../engine/runtime/testing.ts';
import type { ContainerRecord } from '../engine/runtime/types.ts';
import { pushImage } from '../hub/client/push.ts';
import { listReferrers } from '../hub/client/referrers.ts';
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildCommand } from './build.ts';
import { logsCommand, psCommand, rmCommand, stopCommand } from './containers.ts';
import { importCommand } from './import.ts';
import { inspectCommand } from './inspect.ts';
import { parseMemory, parseRestart, parseVolume, runCommand } from './run.ts';
import { type CliTestHub, run, sha256, startCliTestHub } from './testing.ts';

const NOCKER = join(import.meta.dirname, 'nocker.js');
const execFileAsync = promisify(execFile);

let cli: CliTestHub;
let env: Record<string, string>;
let image: string;
let unsigned: string;
let publicKey: string;

/** `nocker run` in this process with the test's environment. */
function nockerRun(...argv: string[]) {
  return run(runCommand, argv, env);
}

/** The same in a child process: what exec and signals need. */
async function nocker(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [NOCKER, ...argv], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function record(query: string): Promise<ContainerRecord> {
  return new ContainerStore(env.NOCKER_DATA_HOME as string).find(query);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const NOCKERFILE = `version: "1.0"
name: runtest/app
build:
  base: runtest/base:1.0
  steps:
    - run: /bin/busybox --install -s /bin 2>/dev/null; mkdir -p /www && echo hello-from-nocker > /www/index.html
run:
  command: ["sh", "-c", "echo out-line; echo err-line >&2; exit 3"]
  ports: ["8000"]
policies:
  security: { level: high, network: restricted }
  resources: { cpu: 1, memory: 64MiB }
`;

describe.skipIf(skipRunSteps())('nocker run', () => {
  beforeAll(async () => {
    cli = await startCliTestHub('run-cli');
    env = { ...cli.env, XDG_CONFIG_HOME: join(cli.dir, 'config') };
    await writeBusyboxTarball(cli.dir, join(cli.dir, 'rootfs.tar.gz'));
    const imported = await run(importCommand, [join(cli.dir, 'rootfs.tar.gz'), `${cli.host}/runtest/base:1.0`], env);
    expect(imported.code, imported.stderr).toBe(0);

    const keys = generateSigningKeyPair();
    await writeFile(join(cli.dir, 'signer.key'), keys.privateKeyPem, { mode: 0o600 });
    publicKey = join(cli.dir, 'signer.pub');
    await writeFile(publicKey, keys.publicKeyPem);
    const project = join(cli.dir, 'project');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'Nockerfile.yml'), NOCKERFILE);
    const built = await run(buildCommand, ['-f', join(project, 'Nockerfile.yml'), '--push', '--sign', '--key', join(cli.dir, 'signer.key'), '--hub', cli.hub.url, '-q'], env);
    expect(built.code, built.stderr).toBe(0);
    image = `${cli.host}/runtest/app:latest`;
    const plain = await run(buildCommand, ['-f', join(project, 'Nockerfile.yml'), '--push', '-t', `${cli.host}/runtest/unsigned:latest`, '--hub', cli.hub.url, '-q'], env);
    expect(plain.code, plain.stderr).toBe(0);
    unsigned = `${cli.host}/runtest/unsigned:latest`;
  }, 120_000);

  afterAll(async () => {
    if (!cli) return;
    const store = new ContainerStore(env.NOCKER_DATA_HOME as string);
    for (const container of await store.list().catch(() => [])) await run(rmCommand, ['-f', container.id], env).catch(() => undefined);
    await cli.destroy();
  }, 60_000);

  it('runs the signed image in production: output on its streams, exit code passed through', async () => {
    const result = await nockerRun('--verify-key', publicKey, '--rm', image);
    expect(result.stdout).toBe('out-line\n');
    expect(result.stderr).toContain('err-line\n');
    expect(result.stderr).toContain('signed by');
    expect(result.code).toBe(3);
  });

  it('trusts the keys in the user\'s Nocker config', async () => {
    await mkdir(join(env.XDG_CONFIG_HOME as string, 'nocker/trusted-keys'), { recursive: true });
    await writeFile(join(env.XDG_CONFIG_HOME as string, 'nocker/trusted-keys/team.pub'), await (await import('node:fs/promises')).readFile(publicKey));
    try {
      const result = await nockerRun('--rm', image, 'true');
      expect(result.code, result.stderr).toBe(0);
    } finally {
      await rm(join(env.XDG_CONFIG_HOME as string, 'nocker'), { recursive: true, force: true });
    }
  });

  it('refuses an unsigned image in production and runs it in development', async () => {
    const refused = await nockerRun('--verify-key', publicKey, unsigned, 'true');
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain(`refused to run ${cli.host}/runtest/unsigned@sha256:`);
    expect(refused.stderr).toContain('in production: the image is not signed');
    const noKey = await nockerRun(image, 'true');
    expect(noKey.code).toBe(125);
    expect(noKey.stderr).toContain('no key is trusted');
    const development = await nockerRun('--env', 'development', '--rm', unsigned, 'echo', 'ran');
    expect(development.stdout).toBe('ran\n');
    expect(development.code).toBe(0);
  });

  it('feeds standard input with -i', async () => {
    const result = await run(runCommand, ['--env', 'development', '--rm', '-i', image, 'tr', 'a-z', 'A-Z'], env, 'shout\n');
    expect(result.stdout).toBe('SHOUT\n');
    expect(result.code).toBe(0);
  });

  it('says 127 for a command that does not exist and 126 for one that cannot be executed', async () => {
    const missing = await nockerRun('--env', 'development', '--rm', image, '/no/such/program');
    expect(missing.code).toBe(127);
    const notExecutable = await nockerRun('--env', 'development', '--rm', image, '/www/index.html');
    expect(notExecutable.code).toBe(126);
  });

  it('refuses a command line that loosens the production policy, naming what', async () => {
    const result = await nockerRun('--verify-key', publicKey, '--memory', '1g', '--security', 'low', '--network', 'host', image, 'true');
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('the production policy does not allow this: --security low is looser than the policy\'s high; --network host is more open than the policy\'s restricted; --memory 1 GiB is more than the policy\'s 64 MiB');
  });

  it('under high security: even root cannot write to /, mount or chown; the default user is nobody', async () => {
    // Root without capabilities (testing lets --user 0 through; the image's security stays high).
    const script = 'touch /written 2>/dev/null; echo root:$?; mount -t tmpfs t /mnt 2>/dev/null; echo mount:$?; touch /tmp/f && chown 1:1 /tmp/f 2>/dev/null; echo chown:$?; id -u';
    const result = await nockerRun('--env', 'testing', '--user', '0:0', image, 'sh', '-c', script);
    expect(result.stdout).toBe('root:1\nmount:1\nchown:1\n0\n');
    const nobody = await nockerRun('--verify-key', publicKey, '--rm', image, 'id', '-u');
    expect(nobody.stdout).toBe('65534\n');
    const medium = await nockerRun('--env', 'development', '--security', 'medium', '--user', '0:0', '--rm', image, 'sh', '-c', 'touch /written && chown 1:1 /written && echo writable');
    expect(medium.stdout).toBe('writable\n');
  });

  it('under network none only the loopback interface exists', async () => {
    const result = await nockerRun('--env', 'testing', image, 'ls', '/sys/class/net');
    expect(result.stdout).toBe('lo\n');
    expect(result.code).toBe(0);
  });

  it('reports an out-of-memory kill as such', async () => {
    const result = await nockerRun('--verify-key', publicKey, '--rm', '--memory', '16m', image, 'sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived');
    expect(result.code).toBe(137);
    expect(result.stderr).toContain('nocker: killed: out of memory, limit 16 MiB');
    expect(result.stdout).not.toContain('survived');
  });

  it('holds a CPU quota near its limit', async () => {
    // Two seconds of a busy loop under a quarter of a CPU: user time about a quarter of real.
    const loop = 'time -f "%e %U" timeout 2 sh -c "while :; do :; done"';
    const result = await nockerRun('--verify-key', publicKey, '--rm', '--cpus', '0.25', image, 'sh', '-c', loop);
    const [real, user] = (/(\d+\.\d+) (\d+\.\d+)\s*$/.exec(result.stderr) ?? []).slice(1).map(Number);
    expect(real, result.stderr).toBeGreaterThan(1.5);
    expect((user as number) / (real as number)).toBeGreaterThan(0.1);
    expect((user as number) / (real as number)).toBeLessThan(0.4);
  });

  it('publishes a port on the restricted network: httpd answers, nothing else is reachable from inside', async () => {
    const port = await freePort();
    const started = await nockerRun('--verify-key', publicKey, '-d', '--name', 'web', '-p', `127.0.0.1:${port}:8000`, image, 'httpd', '-f', '-p', '8000', '-h', '/www');
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await waitFor('httpd to answer', async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => '')) === 'hello-from-nocker\n');
    const ps = await run(psCommand, [], env);
    expect(ps.stdout).toMatch(new RegExp(`${id.slice(0, 12)} .*Up .*127\\.0\\.0\\.1:${port}->8000/tcp +web`));
    // The Hub listens on the host's loopback: from inside the container it is not there.
    const hubPort = new URL(cli.hub.url).port;
    const outbound = await nocker('exec', 'web', 'wget', '-q', '-T', '2', '-O', '-', `http://127.0.0.1:${hubPort}/v2/`);
    expect(outbound.code).not.toBe(0);
    const inside = await nocker('exec', 'web', 'cat', '/www/index.html');
    expect(inside).toMatchObject({ code: 0, stdout: 'hello-from-nocker\n' });
    const inspected = JSON.parse((await run(inspectCommand, ['web'], env)).stdout) as ContainerRecord;
    expect(inspected).toMatchObject({ id, name: 'web', state: 'running', environment: 'production' });
    const removed = await run(rmCommand, ['-f', 'web'], env);
    expect(removed.code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('stops with SIGTERM, then SIGKILL after the timeout', async () => {
    const stubborn = await nockerRun('--env', 'development', '-d', image, 'sh', '-c', 'trap "" TERM; while :; do sleep 1; done');
    const polite = await nockerRun('--env', 'development', '-d', image, 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done');
    let started = Date.now();
    await run(stopCommand, ['-t', '2', stubborn.stdout.trim()], env);
    const stubbornTook = Date.now() - started;
    started = Date.now();
    await run(stopCommand, ['-t', '10', polite.stdout.trim()], env);
    const politeTook = Date.now() - started;
    expect(stubbornTook).toBeGreaterThanOrEqual(1900);
    expect(stubbornTook).toBeLessThan(8000);
    expect(politeTook).toBeLessThan(3000);
    expect((await record(stubborn.stdout.trim())).exitCode).toBe(137);
    expect((await record(polite.stdout.trim())).exitCode).toBe(0);
    const all = await run(psCommand, ['-a'], env);
    expect(all.stdout).toMatch(/Exited \(137\) .* ago/);
  }, 30_000);

  it('restarts on failure as many times as asked, with logs -f following it all', async () => {
    const started = await nockerRun('--env', 'development', '-d', '--restart', 'on-failure:2', image, 'sh', '-c', 'echo attempt; exit 1');
    const id = started.stdout.trim();
    const followed = await run(logsCommand, ['-f', id], env);
    expect(followed.stdout).toBe('attempt\nattempt\nattempt\n');
    const ended = await record(id);
    expect(ended).toMatchObject({ state: 'exited', exitCode: 1, restartCount: 2 });
  }, 30_000);

  it('runs detached, follows its logs as they come, and reads them back with --tail and -t', async () => {
    const started = await nockerRun('--env', 'development', '-d', '--name', 'counter', image, 'sh', '-c', 'for i in 1 2 3; do echo line $i; echo warn $i >&2; sleep 0.3; done');
    const followed = await run(logsCommand, ['-f', 'counter'], env);
    expect(followed.stdout).toBe('line 1\nline 2\nline 3\n');
    expect(followed.stderr).toBe('warn 1\nwarn 2\nwarn 3\n');
    const tail = await run(logsCommand, ['--tail', '2', '-t', 'counter'], env);
    expect(`${tail.stdout}${tail.stderr}`.split('\n').filter(Boolean)).toHaveLength(2);
    expect(tail.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z warn 3\n$/);
    const pushed = await run(logsCommand, ['counter', '--push', `${cli.host}/runtest/app`], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    const container = await record('counter');
    const referrers = await listReferrers(cli.admin(), 'runtest/app', container.imageDigest, 'application/vnd.nocker.container.log.v1');
    expect(referrers.map((r) => r.digest)).toContain(pushed.stdout.trim());
    expect(started.code).toBe(0);
  }, 30_000);

  it('applies a hostile layer safely: ../ names skipped, links resolved inside the root, whiteouts, a zstd layer', async () => {
    const pwned = `nocker-run-pwned-${process.pid}`;
    const base = await readFile(join(cli.dir, 'rootfs.tar.gz'));
    const hostile = gzipSync(rawTar([
      { path: '../escape', content: 'escaped' },
      { path: '/abs.txt', content: 'absolute, kept inside\n' },
      { path: 'etc/dirlink', type: '2', linkname: '/etc' },
      { path: `etc/dirlink/${pwned}`, content: 'written through a link\n' },
      { path: 'up', type: '2', linkname: '../../../../..' },
      { path: `up/${pwned}`, content: 'up and out\n' },
      { path: 'etc/.wh.motd' },
    ]));
    const zstdLayer = rawTar([{ path: 'opt', type: '5' }, { path: 'opt/zstd.txt', content: 'from a zstd layer\n' }]);
    const layers = [
      { mediaType: LAYER_MEDIA_TYPE, bytes: base, diffId: sha256(gunzipSync(base)) },
      { mediaType: LAYER_MEDIA_TYPE, bytes: hostile, diffId: sha256(gunzipSync(hostile)) },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', bytes: zstdStored(zstdLayer), diffId: sha256(zstdLayer) },
    ].map((l) => ({ mediaType: l.mediaType, bytes: l.bytes, digest: sha256(l.bytes), size: l.bytes.length, diffId: l.diffId }));
    const config = imageConfig({ os: 'linux', architecture: 'amd64', diffIds: layers.map((l) => l.diffId), created: 0, config: { Cmd: ['/bin/sh'] } });
    const manifest = imageManifest({ config, layers, created: 0 });
    await pushImage(cli.admin(), 'runtest/hostile', 'v1', { config, layers, manifest });

    const result = await nockerRun('--env', 'development', '--rm', `${cli.host}/runtest/hostile:v1`, 'sh', '-c', `cat /abs.txt /etc/${pwned} /${pwned} /opt/zstd.txt; ls /etc; [ -e /escape ] || echo no-escape`);
    expect(result.stderr).not.toContain('nocker:');
    expect(result.stdout.split('\n')).toEqual(['absolute, kept inside', 'written through a link', 'up and out', 'from a zstd layer', 'dirlink', pwned, 'os-release', 'no-escape', '']);
    expect(result.code).toBe(0);
    expect(existsSync(join('/etc', pwned))).toBe(false);
    expect(existsSync(join('/', pwned))).toBe(false);
    expect(execFileSync('find', [env.NOCKER_DATA_HOME as string, '-name', 'escape']).toString()).toBe('');
  });

  it('gives development bind mounts, refused elsewhere', async () => {
    const source = join(cli.dir, 'src');
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'app.txt'), 'edited on the host\n');
    const mounted = await nockerRun('--env', 'development', '--rm', '-v', `${source}:/app`, image, 'cat', '/app/app.txt');
    expect(mounted.stdout).toBe('edited on the host\n');
    const refused = await nockerRun('--verify-key', publicKey, '-v', `${source}:/app`, image, 'true');
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('bind mounts (-v) are allowed in the development environment only');
  });
});

describe('nocker run options', () => {
  it('reads --memory as Docker does, or as a Nockerfile size', () => {
    expect(parseMemory('64m')).toBe(64 * 1024 * 1024);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('512MiB')).toBe(512 * 1024 * 1024);
    expect(parseMemory('2GB')).toBe(2_000_000_000);
    expect(() => parseMemory('lots')).toThrow('--memory lots: expected a size such as 64m, 512MiB or 2GB');
  });

  it('reads --restart and -v', () => {
    expect(parseRestart(undefined)).toEqual({ kind: 'no' });
    expect(parseRestart('on-failure:3')).toEqual({ kind: 'on-failure', maxRetries: 3 });
    expect(parseRestart('always')).toEqual({ kind: 'always' });
    expect(() => parseRestart('sometimes')).toThrow('--restart sometimes: expected no, on-failure[:N] or always');
    expect(parseVolume('/src:/app:ro')).toEqual({ source: '/src', destination: '/app', readonly: true });
    expect(parseVolume('src:/app').source).toBe(join(process.cwd(), 'src'));
    expect(() => parseVolume('/src:app')).toThrow('expected HOST_DIR:CONTAINER_DIR[:ro]');
  });
});
