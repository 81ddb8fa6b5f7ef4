import { cp, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNockerfile } from '../nockerfile/index.ts';
import { buildImage, commandArgs, describeStep, type StepEvent } from './build.ts';
import { StepCache } from './plan.ts';

let dir: string;
const NOCKERFILE = `version: "1.0"
name: demo
build:
  base: scratch
  steps:
    - copy: . /srv
    - workdir: /srv/www
    - env: { A: "1" }
run:
  command: serve --port 80
  ports: ["80"]
  environment: { A: "2", B: "3" }
`;

async function project(name: string, text = NOCKERFILE): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'www'), { recursive: true });
  await writeFile(join(root, 'Nockerfile.yml'), text);
  await writeFile(join(root, 'www/index.html'), '<h1>hi</h1>\n');
  await writeFile(join(root, 'notes.tmp'), 'scratch\n');
  await writeFile(join(root, '.nockerignore'), '*.tmp\n');
  return root;
}

async function build(root: string, cache: string, noCache = false): Promise<{ digest: string; steps: StepEvent[]; config: Record<string, unknown> }> {
  const steps: StepEvent[] = [];
  const image = await buildImage({ nockerfile: await loadNockerfile({ file: join(root, 'Nockerfile.yml') }), cache: new StepCache(cache), sourceDateEpoch: 0, noCache, onStep: (s) => steps.push(s) });
  return { digest: image.digest, steps, config: JSON.parse(image.config.bytes.toString()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-build-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('buildImage', () => {
  it('turns steps and the run section into layers and config', async () => {
    const root = await project('config');
    const { config, steps } = await build(root, join(dir, 'cache-config'));
    expect(steps.map((s) => `[${s.index}/${s.total}] ${s.description}`)).toEqual(['[1/3] copy . /srv', '[2/3] workdir /srv/www', '[3/3] env A=1']);
    expect(config).toMatchObject({
      os: 'linux',
      architecture: 'amd64',
      config: { Cmd: ['/bin/sh', '-c', 'serve --port 80'], Env: ['A=2', 'B=3'], WorkingDir: '/srv/www', ExposedPorts: { '80/tcp': {} } },
      history: [{ created_by: 'nocker build: copy . /srv' }, { created_by: 'nocker build: workdir /srv/www', empty_layer: true }, { created_by: 'nocker build: env A=1', empty_layer: true }],
    });
    expect((config.rootfs as { diff_ids: string[] }).diff_ids).toHaveLength(1);
  });

  it('reuses a cached step, misses after a file changes, and rebuilds with noCache', async () => {
    const root = await project('cache');
    const cache = join(dir, 'cache-hits');
    const first = await build(root, cache);
    expect(first.steps[0]?.cached).toBe(false);
    const second = await build(root, cache);
    expect(second.steps[0]?.cached).toBe(true);
    expect(second.digest).toBe(first.digest);
    expect((await build(root, cache, true)).steps[0]?.cached).toBe(false);
    await writeFile(join(root, 'www/index.html'), '<h1>changed</h1>\n');
    const third = await build(root, cache);
    expect(third.steps[0]?.cached).toBe(false);
    expect(third.digest).not.toBe(first.digest);
    await writeFile(join(root, 'notes.tmp'), 'ignored, so no change\n');
    await writeFile(join(root, 'Nockerfile.lock'), '{"bases":{},"version":1}\n');
    expect((await build(root, cache)).steps[0]?.cached).toBe(true);
  });

  it('is reproducible: two copies of a context with different mtimes give the same digest', async () => {
    const a = await project('copy-a');
    const b = join(dir, 'copy-b');
    await cp(a, b, { recursive: true });
    await utimes(join(b, 'www/index.html'), new Date('2001-01-01'), new Date('2001-01-01'));
    const one = await build(a, join(dir, 'cache-a'));
    const two = await build(b, join(dir, 'cache-b'));
    expect(two.digest).toBe(one.digest);
  });

  it('needs a Hub for a base image other than scratch', async () => {
    await expect(build(join(import.meta.dirname, '../../conformance/fixtures/sample'), join(dir, 'cache-f'))).rejects.toThrow('a Hub is needed to resolve the base image sample/base:1.0');
  });

  it('says which runtime to install when a run step finds none', async () => {
    const root = await project('run', NOCKERFILE.replace('    - copy: . /srv\n', '    - run: make\n'));
    const nockerfile = await loadNockerfile({ file: join(root, 'Nockerfile.yml') });
    const cache = new StepCache(join(dir, 'cache-run'));
    await expect(buildImage({ nockerfile, cache, sourceDateEpoch: 0, env: { PATH: join(dir, 'nothing-here') } })).rejects.toThrow('install runc (apt-get install runc) or crun (apt-get install crun), or set NOCKER_RUNTIME');
  });

  it('describes steps and commands', () => {
    expect(describeStep({ kind: 'env', variables: { A: '1', B: '2' } })).toBe('env A=1 B=2');
    expect(commandArgs({ form: 'exec', args: ['a', 'b'] })).toEqual(['a', 'b']);
  });
});
