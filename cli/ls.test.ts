/** `nocker ls` against a real Hub: the catalog and a repository's tags. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../conformance/harness.ts';
import { imageConfig } from '../engine/image/config.ts';
import { imageManifest } from '../engine/image/manifest.ts';
import { pushImage } from '../hub/client/push.ts';
import { lsCommand } from './ls.ts';
import { type CliTestHub, run, sha256, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;

beforeAll(async () => {
  cli = await startCliTestHub('ls-cli');
  ({ hub, host, dir, env } = cli);
  const client = cli.admin();
  const layer = Buffer.from('a layer');
  const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length, bytes: layer }];
  const config = imageConfig({ os: 'linux', architecture: 'amd64', diffIds: [sha256(layer)], created: 0 });
  const manifest = imageManifest({ config, layers, created: 0 });
  for (const [repository, tag] of [['listed/one', 'v1'], ['listed/one', 'v2'], ['listed/two', 'latest']] as const) {
    await pushImage(client, repository, tag, { config, layers, manifest });
  }
});

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker ls', () => {
  it('lists the repositories, one a line or as JSON', async () => {
    const result = await run(lsCommand, ['--hub', hub.url], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('listed/one\nlisted/two\n');
    const json = await run(lsCommand, ['--json'], { ...env, NOCKER_HUB: host });
    expect(JSON.parse(json.stdout)).toEqual(['listed/one', 'listed/two']);
  });

  it("lists a repository's tags", async () => {
    expect((await run(lsCommand, [`${host}/listed/one`], env)).stdout).toBe('v1\nv2\n');
    expect(JSON.parse((await run(lsCommand, ['listed/two', '--hub', host, '--json'], env)).stdout)).toEqual(['latest']);
    await expect(run(lsCommand, [`${host}/listed/none`], env)).rejects.toMatchObject({ code: 'NAME_UNKNOWN' });
  });

  it('refuses what it cannot do', async () => {
    await expect(run(lsCommand, ['a', 'b'], env)).rejects.toThrow(UsageError);
    await expect(run(lsCommand, [`${host}/listed/one:v1`], env)).rejects.toThrow('without a tag or digest');
    await expect(run(lsCommand, ['Bad'], env)).rejects.toThrow('not a valid repository name');
    await expect(run(lsCommand, [`${host}/listed/one`, '--hub', '127.0.0.2:1'], env)).rejects.toThrow('--hub names');
    const help = await run(lsCommand, ['--help'], env);
    expect(help.stdout).toContain('nocker ls 127.0.0.1:5000/base/alpine');
  });
});
