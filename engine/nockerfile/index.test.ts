import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadNockerfile, NockerfileError, resolveNockerfile } from './index.ts';

const SAMPLE = fileURLToPath(new URL('./testdata/Nockerfile.yml', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nockerfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes files into the temporary directory. */
async function files(contents: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(contents)) await writeFile(join(dir, name), text);
}

/** The problem lines of a load that must fail. */
async function problems(env?: string, processEnv: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadNockerfile(env === undefined ? { cwd: dir, processEnv } : { cwd: dir, env, processEnv });
  } catch (err) {
    if (err instanceof NockerfileError) return err.message.split('\n');
    throw err;
  }
  throw new Error('the Nockerfile loaded');
}

const MINIMAL = 'version: "1.0"\nname: app\nbuild:\n  base: scratch\n';

describe('loadNockerfile: the sample', () => {
  it('loads for production (the default) with every section typed', async () => {
    const nf = await loadNockerfile({ file: SAMPLE, processEnv: {} });
    expect(nf.source).toBe(SAMPLE);
    expect(nf.sources).toEqual([SAMPLE]);
    expect(nf.environment).toBe('production');
    expect(nf.name).toBe('my-app');
    expect(nf.build.base).toEqual({ kind: 'image', repository: 'busybox', tag: '1.35', reference: 'busybox:1.35' });
    expect(nf.build.network).toBe('none');
    expect(nf.build.steps).toEqual([
      { kind: 'run', command: 'echo hello > /greeting' },
      { kind: 'copy', src: '.', dest: '/app' },
      { kind: 'workdir', path: '/app' },
      { kind: 'env', variables: { MODE: 'release' } },
    ]);
    expect(nf.run).toEqual({
      command: { form: 'exec', args: ['/app/start.sh'] },
      ports: [{ host: 3000, container: 3000, protocol: 'tcp' }],
      environment: { NODE_ENV: 'production' },
      user: '1000:1000',
      workdir: '/app',
    });
    expect(nf.policies).toEqual({ security: { level: 'high', network: 'restricted' }, resources: { cpu: 2, memory: 2_000_000_000 } });
  });

  it('loads for development: its environment map merged, its policy level applied', async () => {
    const nf = await loadNockerfile({ file: SAMPLE, env: 'development', processEnv: {} });
    expect(nf.environment).toBe('development');
    expect(nf.run.environment).toEqual({ NODE_ENV: 'development' });
    expect(nf.policies.security).toEqual({ level: 'low', network: 'restricted' });
  });

  it('loads for embedded: extends production, memory 64MB in bytes', async () => {
    const nf = await loadNockerfile({ file: SAMPLE, env: 'embedded', processEnv: {} });
    expect(nf.policies.resources).toEqual({ cpu: 2, memory: 64_000_000 });
    expect(nf.policies.security.level).toBe('high');
  });

  it('loads for testing, a built-in environment without an entry: the base file unchanged', async () => {
    const nf = await loadNockerfile({ file: SAMPLE, env: 'testing', processEnv: {} });
    const production = await loadNockerfile({ file: SAMPLE, env: 'production', processEnv: {} });
    expect({ ...nf, environment: 'production' }).toEqual(production);
  });

  it('resolveNockerfile gives the effective document without environments:', async () => {
    const { document } = await resolveNockerfile({ file: SAMPLE, env: 'embedded', processEnv: {} });
    expect(document).toMatchObject({ environment: 'embedded', policies: { resources: { memory: '64MB' } } });
    expect(document).not.toHaveProperty('environments');
  });
});

describe('loadNockerfile: files', () => {
  it('reads Nockerfile.yml in the working directory by default', async () => {
    await files({ 'Nockerfile.yml': MINIMAL });
    const nf = await loadNockerfile({ cwd: dir, processEnv: {} });
    expect(nf.source).toBe(join(dir, 'Nockerfile.yml'));
    expect(nf.build.base).toEqual({ kind: 'scratch' });
    expect(nf.build.network).toBe('host');
    expect(nf.run).toEqual({ ports: [], environment: {} });
  });

  it('says when the file is missing', async () => {
    await expect(loadNockerfile({ cwd: dir })).rejects.toThrow('Nockerfile.yml: no such file');
  });

  it('reports YAML syntax errors with their position', async () => {
    await files({ 'Nockerfile.yml': 'version: "1.0"\nversion: "1.0"\n' });
    expect(await problems()).toEqual(['Nockerfile.yml:2:1: (syntax): Map keys must be unique; expected valid YAML']);
  });

  it('merges Nockerfile.<env>.yml last, after the environment and its ancestors', async () => {
    await files({
      'Nockerfile.yml': `${MINIMAL}run:\n  ports: ["1:1", "2:2"]\n  environment: { A: base, B: base }\nenvironments:\n  staging: { extends: development, run: { environment: { B: staging } } }\n  development: { run: { environment: { C: dev } } }\n`,
      'Nockerfile.staging.yml': 'run:\n  ports: ["9:9/udp"]\n  environment: { A: overlay }\n',
    });
    const nf = await loadNockerfile({ cwd: dir, env: 'staging', processEnv: {} });
    expect(nf.run.ports).toEqual([{ host: 9, container: 9, protocol: 'udp' }]);
    expect(nf.run.environment).toEqual({ A: 'overlay', B: 'staging', C: 'dev' });
    expect(nf.sources).toEqual([join(dir, 'Nockerfile.yml'), join(dir, 'Nockerfile.staging.yml')]);
  });

  it('reads build.dependencies (none when absent); an environment replaces the list, variables fill it', async () => {
    await files({
      'Nockerfile.yml': `${MINIMAL}  dependencies:\n    - \${HUB}/libs/runtime:^1.2\n    - "libs/tools:>=2 <3"\nvariables: { HUB: "127.0.0.1:5000" }\nenvironments:\n  development: { build: { dependencies: ["libs/runtime:latest"] } }\n`,
    });
    const nf = await loadNockerfile({ cwd: dir, processEnv: {} });
    expect(nf.build.dependencies).toEqual([
      { registry: '127.0.0.1:5000', repository: 'libs/runtime', version: { kind: 'range', range: '^1.2' }, reference: '127.0.0.1:5000/libs/runtime:^1.2' },
      { repository: 'libs/tools', version: { kind: 'range', range: '>=2 <3' }, reference: 'libs/tools:>=2 <3' },
    ]);
    const dev = await loadNockerfile({ cwd: dir, env: 'development', processEnv: {} });
    expect(dev.build.dependencies).toEqual([{ repository: 'libs/runtime', version: { kind: 'tag', tag: 'latest' }, reference: 'libs/runtime:latest' }]);
    await files({ 'Nockerfile.yml': MINIMAL });
    expect((await loadNockerfile({ cwd: dir, processEnv: {} })).build.dependencies).toEqual([]);
  });

  it('validates Nockerfile.<env>.yml the same way, naming that file', async () => {
    await files({ 'Nockerfile.yml': MINIMAL, 'Nockerfile.production.yml': 'run:\n  prots: [80]\n' });
    expect(await problems()).toEqual(['Nockerfile.production.yml:2:3: run.prots: unknown key "prots" (did you mean "ports"?); expected one of command, entrypoint, ports, environment, user, workdir']);
  });

  it('uses the file\'s environment: as the default', async () => {
    await files({ 'Nockerfile.yml': `${MINIMAL}environment: development\nenvironments:\n  development: { run: { user: dev } }\n` });
    expect((await loadNockerfile({ cwd: dir, processEnv: {} })).run.user).toBe('dev');
  });

  it('rejects an --env that names no environment', async () => {
    await files({ 'Nockerfile.yml': MINIMAL });
    expect(await problems('prodution')).toEqual([
      'Nockerfile.yml:1:1: environments: no environment "prodution" (did you mean "production"?); expected one of production, development, embedded, testing',
    ]);
  });
});

describe('loadNockerfile: variables', () => {
  it('substitutes from variables: first, then the process environment, with defaults', async () => {
    await files({
      'Nockerfile.yml': 'version: "1.0"\nname: app\nvariables: { REGISTRY: "127.0.0.1:5000", TAG: "${TAG:-1.35}" }\nbuild:\n  base: ${REGISTRY}/busybox:${TAG}\nrun:\n  user: ${USER_ID}\n  workdir: ${DIR:-/srv}\n  ports: ["${PORT}"]\n',
    });
    const nf = await loadNockerfile({ cwd: dir, processEnv: { REGISTRY: 'ignored', USER_ID: '1000', PORT: '8080' } });
    expect(nf.build.base).toMatchObject({ registry: '127.0.0.1:5000', repository: 'busybox', tag: '1.35' });
    expect(nf.variables).toEqual({ REGISTRY: '127.0.0.1:5000', TAG: '1.35' });
    expect(nf.run).toMatchObject({ user: '1000', workdir: '/srv', ports: [{ container: 8080, protocol: 'tcp' }] });
  });

  it('keeps $${…} as a literal ${…}', async () => {
    await files({ 'Nockerfile.yml': `${MINIMAL}run:\n  command: echo $\${HOME}\n` });
    expect((await loadNockerfile({ cwd: dir, processEnv: {} })).run.command).toEqual({ form: 'shell', args: ['echo ${HOME}'] });
  });

  it('reports every unknown variable with its position', async () => {
    await files({ 'Nockerfile.yml': 'version: "1.0"\nname: app\nbuild:\n  base: ${BASE}\nrun:\n  user: ${WHO}\n' });
    expect(await problems()).toEqual([
      'Nockerfile.yml:4:9: build.base: unknown variable "BASE"; expected "BASE" under variables:, in the environment, or a default: ${BASE:-value}',
      'Nockerfile.yml:6:9: run.user: unknown variable "WHO"; expected "WHO" under variables:, in the environment, or a default: ${WHO:-value}',
    ]);
  });

  it('checks substituted values: a bad port from the environment points at the value', async () => {
    await files({ 'Nockerfile.yml': `${MINIMAL}run:\n  ports: ["\${PORT}"]\n` });
    expect(await problems(undefined, { PORT: '99999' })).toEqual([
      'Nockerfile.yml:6:11: run.ports[0]: port 99999 is out of range; expected "PORT" or "HOST:CONTAINER", ports 1-65535, optionally ending in /tcp or /udp',
    ]);
  });
});

describe('loadNockerfile: problems of several files', () => {
  it('reports the problems of the file and of its overlay file together', async () => {
    await files({ 'Nockerfile.yml': 'version: "1.0"\nname: app\nbuild:\n  base: busybox\n', 'Nockerfile.production.yml': 'run:\n  user: [x]\n' });
    expect(await problems()).toEqual([
      'Nockerfile.yml:4:9: build.base: "busybox" has neither a tag nor a digest; expected "scratch", NAME:TAG or NAME@sha256:<64 hex digits>, NAME optionally starting with HOST[:PORT]/',
      'Nockerfile.production.yml:2:9: run.user: got a list; expected a user: NAME, UID or UID:GID',
    ]);
  });

  it('reports a YAML error in the overlay file with its position', async () => {
    await files({ 'Nockerfile.yml': MINIMAL, 'Nockerfile.testing.yml': 'run: [\n' });
    const lines = await problems('testing');
    expect(lines[0]).toMatch(/^Nockerfile\.testing\.yml:\d+:\d+: \(syntax\): /);
  });

  it('refuses environments: in the overlay file', async () => {
    await files({ 'Nockerfile.yml': MINIMAL, 'Nockerfile.production.yml': 'environments: {}\n' });
    expect(await problems()).toEqual(['Nockerfile.production.yml:1:1: environments: unknown key "environments"; expected one of variables, build, run, policies']);
  });
});
