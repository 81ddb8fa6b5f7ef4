/** `nocker build` with `build.dependencies`, end to end against a real Hub with saved credentials. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from './build.ts';
import { type CliTestHub, pushSampleImage, run, sha256, startCliTestHub } from './testing.ts';

let cli: CliTestHub;
let host: string;

beforeAll(async () => {
  cli = await startCliTestHub('build-deps');
  host = cli.host;
});
afterAll(async () => {
  await cli?.destroy();
});

async function project(name: string, dependencies: string[]): Promise<string> {
  const root = join(cli.dir, name);
  await mkdir(root, { recursive: true });
  const list = dependencies.map((d) => `    - "${d}"\n`).join('');
  await writeFile(join(root, 'Nockerfile.yml'), `version: "1.0"\nname: app\nbuild:\n  base: scratch\n  dependencies:\n${list}  steps:\n    - copy: hello.txt /hello.txt\n`);
  await writeFile(join(root, 'hello.txt'), 'hello\n');
  return root;
}

describe('nocker build with dependencies', () => {
  it('resolves, pins, reuses the pin, and re-resolves with --update; the pushed image lists them', async () => {
    const v120 = await pushSampleImage(cli.admin(), 'libs/runtime', '1.2.0');
    const tools = await pushSampleImage(cli.admin(), 'libs/tools', 'stable');
    const root = await project('pins', ['libs/runtime:^1.2', `${host}/libs/tools:stable`]);
    const file = join(root, 'Nockerfile.yml');

    const first = await run(buildCommand, ['-f', file, '--hub', host, '-t', `${host}/team/app:v1`, '--push'], cli.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`dependency ${host}/libs/runtime:^1.2 → 1.2.0 ${v120.digest}\n`);
    expect(first.stderr).toContain(`dependency ${host}/libs/tools:stable → stable ${tools.digest}\n`);
    const lock = JSON.parse(await readFile(join(root, 'Nockerfile.lock'), 'utf8')) as { dependencies: unknown[] };
    expect(lock.dependencies).toEqual([
      { ref: `${host}/libs/runtime:^1.2`, tag: '1.2.0', digest: v120.digest },
      { ref: `${host}/libs/tools:stable`, tag: 'stable', digest: tools.digest },
    ]);
    const res = await cli.admin().v2('GET', '/v2/team/app/manifests/v1', { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(first.stdout.trim());
    const { annotations } = JSON.parse(Buffer.from(bytes).toString()) as { annotations: Record<string, string> };
    expect(JSON.parse(annotations['dev.nocker.dependencies'] ?? '[]')).toEqual([`${host}/libs/runtime:1.2.0@${v120.digest}`, `${host}/libs/tools:stable@${tools.digest}`]);

    const v130 = await pushSampleImage(cli.admin(), 'libs/runtime', '1.3.0');
    const again = await run(buildCommand, ['-f', file, '--hub', host], cli.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`dependency ${host}/libs/runtime:^1.2 → 1.2.0 ${v120.digest} (locked)\n`);
    expect(again.stdout.trim()).toBe(first.stdout.trim());

    const updated = await run(buildCommand, ['-f', file, '--hub', host, '--update', '--json'], cli.env);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stderr).toContain(`dependency ${host}/libs/runtime:^1.2 → 1.3.0 ${v130.digest}\n`);
    const result = JSON.parse(updated.stdout) as { digest: string; dependencies: unknown[] };
    expect(result.digest).not.toBe(first.stdout.trim());
    expect(result.dependencies).toEqual([
      { ref: `${host}/libs/runtime:^1.2`, tag: '1.3.0', digest: v130.digest },
      { ref: `${host}/libs/tools:stable`, tag: 'stable', digest: tools.digest },
    ]);
  });

  it('fails the build with the Hub\'s message when a dependency does not resolve', async () => {
    await pushSampleImage(cli.admin(), 'libs/old', '1.0.0');
    const root = await project('unresolved', [`${host}/libs/old:^2`]);
    const result = await run(buildCommand, ['-f', join(root, 'Nockerfile.yml'), '--hub', host], cli.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`dependency ${host}/libs/old:^2 does not resolve on the Hub at ${host}: no tag of libs/old satisfies ^2 (tags: 1.0.0)`);
  });
});
