import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configCommand } from './config.ts';
import { run } from './testing.ts';
import { UsageError } from './usage.ts';

const SAMPLE = fileURLToPath(new URL('../engine/nockerfile/testdata/Nockerfile.yml', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nocker config', () => {
  it('prints the resolved file as YAML (production by default) and exits 0', async () => {
    const result = await run(configCommand, ['-f', SAMPLE], {});
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const printed = parse(result.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({ name: 'my-app', environment: 'production', policies: { resources: { memory: '2GB' } } });
    expect(printed).not.toHaveProperty('environments');
  });

  it('applies --env', async () => {
    const result = await run(configCommand, ['--file', SAMPLE, '--env', 'development'], {});
    expect(parse(result.stdout)).toMatchObject({ environment: 'development', run: { environment: { NODE_ENV: 'development' } }, policies: { security: { level: 'low', network: 'restricted' } } });
  });

  it('prints JSON with --json', async () => {
    const result = await run(configCommand, ['-f', SAMPLE, '--env', 'embedded', '--json'], {});
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ environment: 'embedded', policies: { resources: { cpu: 2, memory: '64MB' } } });
  });

  it('substitutes variables from the command\'s environment', async () => {
    const file = join(dir, 'vars.yml');
    await writeFile(file, 'version: "1.0"\nname: app\nbuild:\n  base: ${BASE}\n');
    const result = await run(configCommand, ['-f', file, '--json'], { BASE: 'alpine:3.20' });
    expect(JSON.parse(result.stdout)).toMatchObject({ build: { base: 'alpine:3.20' } });
  });

  it('prints every problem, one per line, and exits 1', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'version: "1.0"\nnmae: app\nbuild:\n  base: busybox\n  network: nonee\n');
    const result = await run(configCommand, ['-f', file], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      `${file}:1:1: name: missing required key "name"; expected a lowercase name such as my-app`,
      `${file}:2:1: nmae: unknown key "nmae" (did you mean "name"?); expected one of version, name, environment, variables, build, run, policies, environments`,
      `${file}:4:9: build.base: "busybox" has neither a tag nor a digest; expected "scratch", NAME:TAG or NAME@sha256:<64 hex digits>, NAME optionally starting with HOST[:PORT]/`,
      `${file}:5:12: build.network: "nonee" is not allowed (did you mean "none"?); expected one of none, host`,
      'nocker: 4 problems in the Nockerfile',
      '',
    ]);
  });

  it('says when the file does not exist, exit 1', async () => {
    const file = join(dir, 'missing.yml');
    const result = await run(configCommand, ['-f', file], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`nocker: ${file}: no such file\n`);
  });

  it('--help shows the usage with an example', async () => {
    const result = await run(configCommand, ['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nocker config [-f FILE] [--env NAME] [--json]');
    expect(result.stdout).toContain('Example:');
  });

  it('an unknown option or an argument is a usage error (exit 2 from main)', async () => {
    await expect(run(configCommand, ['--yaml'], {})).rejects.toBeInstanceOf(UsageError);
    await expect(run(configCommand, ['Nockerfile.yml'], {})).rejects.toBeInstanceOf(UsageError);
    await expect(run(configCommand, ['--env'], {})).rejects.toBeInstanceOf(UsageError);
  });
});

/** Runs the real executable: `node cli/nocker.js …args`. */
function nocker(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = fileURLToPath(new URL('./nocker.js', import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('nocker config (the executable)', () => {
  it('exits 0 with the resolved file', async () => {
    const result = await nocker(['config', '-f', SAMPLE, '--env', 'embedded']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('environment: embedded');
  });

  it('exits 1 on problems, 2 on a usage error', async () => {
    const file = join(dir, 'exit.yml');
    await writeFile(file, 'version: 1.0\nname: app\nbuild: { base: scratch }\n');
    const bad = await nocker(['config', '-f', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}:1:10: version: got the number 1 (quote it to make it a string); expected a quoted version: "1.0"`);
    const usage = await nocker(['config', '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Run "nocker --help" for usage.');
  });

  it('is listed in nocker --help', async () => {
    expect((await nocker(['--help'])).stdout).toContain('nocker config [-f FILE] [--env NAME] [--json]');
  });
});
