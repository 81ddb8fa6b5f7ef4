/**
 * `run` steps for real: busybox copied into a scratch image, commands run through the machine's
 * OCI runtime, their changes read back from the layers. Skipped where the machine cannot run
 * them (not root, no runtime, no static busybox) unless NOCKER_TEST_REQUIRE_RUNTIME=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNockerfile } from '../nockerfile/index.ts';
import { buildImage, discardBuildLog, type BuiltImage, type StepEvent } from './build.ts';
import { StepCache } from './plan.ts';
import { RunStepError } from './run-step.ts';
import { chooseRuntime } from './runtime.ts';
import { readTar } from '../../hub/oci/tar-reader.ts';
import { skipRunSteps, writeBusyboxTree } from './testing.ts';

let dir: string;

const STEPS = `    - copy: rootfs /
    - env: { MODE: release }
    - run: echo "mode $MODE" > /mode && rm /etc/motd && rm -r /etc/gone && ls /sys/class/net > /networks
    - workdir: /srv/app
    - run: pwd > where && id -u > uid
`;

/** A project whose context holds a busybox tree in `rootfs/`, built on scratch. */
async function project(name: string, steps = STEPS, network = 'none'): Promise<string> {
  const root = join(dir, name);
  await writeBusyboxTree(join(root, 'rootfs'));
  await mkdir(join(root, 'rootfs/etc/gone/deeper'), { recursive: true });
  await writeFile(join(root, 'rootfs/etc/gone/deeper/file'), 'x\n');
  await writeFile(join(root, 'Nockerfile.yml'), `version: "1.0"\nname: runs\nbuild:\n  base: scratch\n  network: ${network}\n  steps:\n${steps}`);
  return root;
}

interface Built {
  image: BuiltImage;
  steps: StepEvent[];
  output: string[];
}

async function build(root: string, cache: string): Promise<Built> {
  const steps: StepEvent[] = [];
  const output: string[] = [];
  const nockerfile = await loadNockerfile({ file: join(root, 'Nockerfile.yml'), processEnv: {} });
  const image = await buildImage({ nockerfile, cache: new StepCache(cache), sourceDateEpoch: 0, onStep: (s) => steps.push(s), onOutput: (l) => output.push(l) });
  return { image, steps, output };
}

/** A layer's entries as `path` → content (files) or `<dir>`/`-> target`. */
async function layerContents(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of readTar([gunzipSync(await readFile(path))])) {
    if (entry.type === 'file') {
      const chunks: Buffer[] = [];
      for await (const chunk of entry.content) chunks.push(chunk);
      out.set(entry.path, Buffer.concat(chunks).toString());
    } else out.set(entry.path, entry.type === 'directory' ? '<dir>' : `-> ${entry.linkname}`);
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-run-steps-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skipRunSteps())('run steps', () => {
  it('run in the image with its environment, and their changes and deletions become layers', async () => {
    const { image, steps, output } = await build(await project('changes'), join(dir, 'cache-changes'));
    expect(steps.map((s) => `${s.index} ${s.cached}`)).toEqual(['1 false', '2 false', '3 false', '4 false', '5 false']);
    expect(image.layers).toHaveLength(3);

    const first = await layerContents((image.layers[1] as { path: string }).path);
    expect(first.get('mode')).toBe('mode release\n');
    // Only the topmost deleted path gets a whiteout; the runtime's mount points never appear.
    expect([...first.keys()].sort()).toEqual(['etc', 'etc/.wh.gone', 'etc/.wh.motd', 'mode', 'networks']);
    // build.network: none gives the step a network namespace with loopback only.
    expect(first.get('networks')).toBe('lo\n');

    const second = await layerContents((image.layers[2] as { path: string }).path);
    expect(second).toEqual(new Map([['srv', '<dir>'], ['srv/app', '<dir>'], ['srv/app/uid', '0\n'], ['srv/app/where', '/srv/app\n']]));
    expect(output).toEqual([]);

    const log = await readFile(image.log.path, 'utf8');
    expect(log).toContain('[3/5] run echo "mode $MODE" > /mode');
    expect(log).toContain(`built ${image.digest}`);
    await discardBuildLog(image);
  });

  it('are not run again when cached, and give the same digest from another directory and cache', async () => {
    const root = await project('cached', '    - copy: rootfs /\n    - run: echo ran && echo data > /data\n');
    const first = await build(root, join(dir, 'cache-cached'));
    expect(first.output).toEqual(['ran']);
    const again = await build(root, join(dir, 'cache-cached'));
    expect(again.output).toEqual([]);
    expect(again.steps.map((s) => s.cached)).toEqual([true, true]);
    expect(again.image.digest).toBe(first.image.digest);

    const elsewhere = await build(await project('cached-elsewhere', '    - copy: rootfs /\n    - run: echo ran && echo data > /data\n'), join(dir, 'cache-elsewhere'));
    expect(elsewhere.output).toEqual(['ran']);
    expect(elsewhere.image.digest).toBe(first.image.digest);
  });

  it('stop the build at a failing step with its exit code and last lines, leaving no working tree', async () => {
    const cache = join(dir, 'cache-failing');
    const root = await project('failing', '    - copy: rootfs /\n    - run: for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo line $i; done; echo oops >&2; exit 3\n    - run: echo never\n');
    const failure = await build(root, cache).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(RunStepError);
    const error = failure as RunStepError;
    expect(error.exitCode).toBe(3);
    expect(error.tail).toHaveLength(20);
    expect(error.tail).toContain('oops');
    expect(error.tail).toContain('line 25');
    expect(error.tail).not.toContain('line 1');
    expect(error.message).toMatch(/^step "run for i in .*" failed with exit code 3; its last 20 lines:\n {4}/);
    // Neither the bundle nor the log stays behind.
    expect(await readdir(join(cache, 'tmp'))).toEqual([]);
  });

  it('stop when the build is stopped: the container killed, nothing left behind', async () => {
    const cache = join(dir, 'cache-stopped');
    const root = await project('stopped', '    - copy: rootfs /\n    - run: echo started && sleep 60\n');
    const nockerfile = await loadNockerfile({ file: join(root, 'Nockerfile.yml'), processEnv: {} });
    const controller = new AbortController();
    const started = Date.now();
    const building = buildImage({ nockerfile, cache: new StepCache(cache), sourceDateEpoch: 0, signal: controller.signal, onOutput: () => controller.abort(new Error('stopped by the test')) });
    await expect(building).rejects.toThrow('stopped by the test');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await readdir(join(cache, 'tmp'))).toEqual([]);
    expect(execFileSync(chooseRuntime(process.env).path, ['list', '-q'], { encoding: 'utf8' })).not.toContain(`nocker-build-${process.pid}-`);
  });

  it('get the host network by default, without the bound host files in their layer', async () => {
    const root = await project('host', '    - copy: rootfs /\n    - run: ls /sys/class/net > /networks && cat /etc/resolv.conf > /resolv\n', 'host');
    const { image } = await build(root, join(dir, 'cache-host'));
    const layer = await layerContents((image.layers[1] as { path: string }).path);
    expect(layer.get('networks')?.split('\n').filter(Boolean).length).toBeGreaterThan(1);
    expect(layer.get('resolv')).toBe(await readFile('/etc/resolv.conf', 'utf8'));
    expect([...layer.keys()].sort()).toEqual(['networks', 'resolv']);
  });
});
