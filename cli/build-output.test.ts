/** `nocker build`'s output flags against a real Hub: --quiet, --json, progress on a terminal, run step output. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../conformance/harness.ts';
import { skipRunSteps, writeBusyboxTarball } from '../engine/build/testing.ts';
import { buildCommand } from './build.ts';
import { importCommand } from './import.ts';
import { screenOf, runOnTerminal } from './terminal-testing.ts';
import { type CliTestHub, run, startCliTestHub } from './testing.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;

/** A project whose Nockerfile builds `name` from `base` with `steps` (YAML list items), and a file to copy. */
async function project(name: string, base: string, steps: string[]): Promise<string> {
  const root = join(dir, name);
  await mkdir(root, { recursive: true });
  // Random, so that the layer stays about as large once gzipped.
  await writeFile(join(root, 'data.bin'), randomBytes(150_000));
  await writeFile(join(root, 'Nockerfile.yml'), [`version: "1.0"`, `name: out/${name}`, 'build:', `  base: ${base}`, '  steps:', ...steps.map((s) => `    - ${s}`), ''].join('\n'));
  return join(root, 'Nockerfile.yml');
}

interface BuildJson {
  name: string;
  digest: string;
  pushed: boolean;
  base: { name: string; digest: string } | null;
  config: string;
  layers: { digest: string; size: number; from: string; outcome?: string }[];
}

beforeAll(async () => {
  cli = await startCliTestHub('build-output');
  ({ hub, host, dir, env } = cli);
});

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker build output', () => {
  it('--quiet prints only the digest; --json the image, its layers and what became of them', async () => {
    const file = await project('flags', 'scratch', ['copy: data.bin /data.bin', 'env: { MODE: test }']);
    const quiet = await run(buildCommand, ['-f', file, '--push', '--hub', hub.url, '-q'], env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const digest = quiet.stdout.trim();
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);

    const json = await run(buildCommand, ['-f', file, '--push', '--hub', hub.url, '--json'], env);
    expect(json.stderr).toContain('[1/2] copy data.bin /data.bin (cached)');
    const result = JSON.parse(json.stdout) as BuildJson;
    expect(result).toMatchObject({ name: `${host}/out/flags:latest`, digest, pushed: true, base: null });
    expect(result.config).toMatch(/^sha256:/);
    expect(result.layers).toHaveLength(1);
    expect(result.layers[0]).toMatchObject({ from: 'build', outcome: 'exists' });
    expect(result.layers[0]?.size).toBeGreaterThan(0);

    const local = await run(buildCommand, ['-f', file, '--hub', hub.url, '--json', '--quiet'], env);
    expect(local.stderr).toBe('');
    expect(JSON.parse(local.stdout)).toMatchObject({ digest, pushed: false, layers: [{ from: 'build', outcome: 'copied' }] });
  });

  it('on a terminal, shows the step under way and the upload\'s bytes in place, leaving only the finished lines', async () => {
    const file = await project('terminal', 'scratch', ['copy: data.bin /data.bin', 'workdir: /app']);
    const result = await runOnTerminal(buildCommand, ['-f', file, '--push', '--hub', hub.url], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('[1/2] copy data.bin /data.bin…');
    expect(result.stderr).toContain('[2/2] workdir /app…');
    expect(result.stderr).toMatch(/\[====================\] 100% {2}1\d\d\.\d KB \/ 1\d\d\.\d KB/);
    const screen = screenOf(result.stderr);
    expect(screen[0]).toBe('[1/2] copy data.bin /data.bin');
    expect(screen[1]).toBe('[2/2] workdir /app');
    expect(screen[2]).toMatch(/^[a-f0-9]{12}: pushed$/);
    expect(screen[3]).toMatch(/^[a-f0-9]{12}: pushed$/);
    expect(screen.slice(4)).toEqual([`pushed ${host}/out/terminal:latest`, '']);
  });

  it('prints its help with the new flags and an example', async () => {
    const help = await run(buildCommand, ['--help'], env);
    expect(help.stdout).toContain('-q, --quiet');
    expect(help.stdout).toContain('--json');
    expect(help.stdout).toContain('Example:');
  });
});

// Run steps need a container runtime and a busybox base to run in.
describe.skipIf(skipRunSteps())('nocker build output of run steps', () => {
  beforeAll(async () => {
    await writeBusyboxTarball(dir, join(dir, 'rootfs.tar.gz'));
    const imported = await run(importCommand, [join(dir, 'rootfs.tar.gz'), `${host}/out/base:1.0`, '-q'], env);
    expect(imported.code).toBe(0);
  });

  it('prints what a run step prints, indented by four spaces, after the step; nothing with --quiet', async () => {
    const file = await project('talks', 'out/base:1.0', ['run: echo hello && echo world']);
    const plain = await run(buildCommand, ['-f', file, '--hub', hub.url, '--no-cache'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain('[1/1] run echo hello && echo world\n    hello\n    world\n');
    const quiet = await run(buildCommand, ['-f', file, '--hub', hub.url, '--no-cache', '--quiet'], env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(plain.stdout);
  });

  it('prints a failing run step\'s error as it is, also with --quiet', async () => {
    const file = await project('fails', 'out/base:1.0', ['run: echo before the end && exit 3']);
    const result = await run(buildCommand, ['-f', file, '--hub', hub.url, '--quiet'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^nocker: /);
    expect(result.stderr).toContain('3');
    expect(result.stderr).toContain('before the end');
    expect(result.stderr).not.toContain('NOCKER_DEBUG');
  });

  it('stops at Ctrl-C: the step\'s container killed, exit code 130', async () => {
    const file = await project('interrupted', 'out/base:1.0', ['run: echo started && sleep 60']);
    const child = spawn(process.execPath, [fileURLToPath(new URL('./nocker.js', import.meta.url)), 'build', '-f', file, '--hub', hub.url], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Once: a second Ctrl-C ends the process at once, as it should.
      if (stderr.includes('    started') && !child.killed) child.kill('SIGINT');
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('nocker: the build was interrupted');
  });
});
