/** `nocker inspect` against a real Hub. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../conformance/harness.ts';
import { imageConfig } from '../engine/image/config.ts';
import { imageManifest } from '../engine/image/manifest.ts';
import { pushImage } from '../hub/client/push.ts';
import { humanSize, inspectCommand, type ImageSummary } from './inspect.ts';
import { type CliTestHub, run, sha256, startCliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: TestHub;
let host: string;
let dir: string;
let env: Record<string, string>;
let cli: CliTestHub;
let manifestBytes: Buffer;
let layerSizes: number[];
let configSize: number;

beforeAll(async () => {
  cli = await startCliTestHub('inspect-cli');
  ({ hub, host, dir, env } = cli);
  const client = cli.admin();
  const layers = [Buffer.alloc(2048, 1), Buffer.from('second layer')].map((bytes) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(bytes), size: bytes.length, bytes }));
  const config = imageConfig({
    os: 'linux',
    architecture: 'arm64',
    variant: 'v8',
    diffIds: layers.map((l) => l.digest),
    created: 1_700_000_000,
    config: { Entrypoint: ['/app'], Cmd: ['--serve'], Env: ['PATH=/bin', 'MODE=prod'], WorkingDir: '/srv', User: '1000', ExposedPorts: { '8080/tcp': {} }, Labels: { team: 'core' } },
  });
  const manifest = imageManifest({ config, layers, created: 1_700_000_000 });
  await pushImage(client, 'seen/app', 'v1', { config, layers, manifest });
  manifestBytes = manifest.bytes;
  layerSizes = layers.map((l) => l.size);
  configSize = config.size;
});

afterAll(async () => {
  await cli?.destroy();
});

describe('nocker inspect', () => {
  it('shows the config, the layers with their sizes and the total', async () => {
    const result = await run(inspectCommand, [`${host}/seen/app:v1`], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Digest:      ${sha256(manifestBytes)}`);
    expect(result.stdout).toContain('Platform:    linux/arm64/v8');
    expect(result.stdout).toContain('Entrypoint:  ["/app"]');
    expect(result.stdout).toContain('Cmd:         ["--serve"]');
    expect(result.stdout).toContain('Working dir: /srv');
    expect(result.stdout).toContain('User:        1000');
    expect(result.stdout).toContain('Ports:       8080/tcp');
    expect(result.stdout).toContain('  MODE=prod\n');
    expect(result.stdout).toContain('  team=core\n');
    expect(result.stdout).toContain('2.0 KiB');
    const total = configSize + (layerSizes[0] ?? 0) + (layerSizes[1] ?? 0);
    expect(result.stdout).toContain(`Total size: ${humanSize(total)} (${total} bytes)`);
  });

  it('prints JSON, and the exact manifest bytes with --raw', async () => {
    const json = await run(inspectCommand, ['seen/app:v1', '--json', '--hub', hub.url], env);
    const summary = JSON.parse(json.stdout) as ImageSummary;
    expect(summary).toMatchObject({ digest: sha256(manifestBytes), platform: 'linux/arm64/v8', created: '2023-11-14T22:13:20Z', config: { entrypoint: ['/app'], labels: { team: 'core' }, ports: ['8080/tcp'] } });
    expect(summary.layers.map((l) => l.size)).toEqual(layerSizes);
    const raw = await run(inspectCommand, [`${host}/seen/app@${sha256(manifestBytes)}`, '--raw'], env);
    expect(raw.stdout).toBe(manifestBytes.toString('utf8'));
  });

  it('refuses what it cannot do', async () => {
    await expect(run(inspectCommand, [], env)).rejects.toThrow(UsageError);
    await expect(run(inspectCommand, [`${host}/seen/app:v1`, '--raw', '--json'], env)).rejects.toThrow('cannot be used together');
    await expect(run(inspectCommand, [`${host}/seen/app:nope`], env)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    const help = await run(inspectCommand, ['--help'], env);
    expect(help.stdout).toContain('nocker inspect 127.0.0.1:5000/');
  });

  it('writes sizes as people read them', () => {
    expect(humanSize(512)).toBe('512 B');
    expect(humanSize(1536)).toBe('1.5 KiB');
    expect(humanSize(5 * 1024 * 1024)).toBe('5.0 MiB');
  });
});
