/** `nocker sbom` against a real Hub, after the Hub's SBOMs were attached as a scan attaches them. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN } from '../conformance/harness.ts';
import { chooseSbomReferrer } from '../hub/client/sbom.ts';
import { attachSboms } from '../hub/scanning/sbom/attach.ts';
import { cycloneDxDocument } from '../hub/scanning/sbom/cyclonedx.ts';
import { spdxDocument } from '../hub/scanning/sbom/spdx.ts';
import { sampleImage, startSbomTestHub, type SbomTestHub } from '../hub/scanning/sbom/testing.ts';
import type { ScannedImage } from '../hub/scanning/types.ts';
import { loginCommand } from './login.ts';
import { sbomCommand } from './sbom.ts';
import { pushPlatformIndex, pushSampleImage, run, type SampleImage } from './testing.ts';
import { UsageError } from './usage.ts';

let hub: SbomTestHub;
let dir: string;
let env: Record<string, string>;
let image: SampleImage;
let arm64: SampleImage;
let scanned: ScannedImage;

beforeAll(async () => {
  hub = await startSbomTestHub();
  dir = await mkdtemp(join(tmpdir(), 'nocker-sbom-'));
  env = { DOCKER_CONFIG: join(dir, 'docker'), NOCKER_CACHE_DIR: join(dir, 'cache'), NOCKER_DATA_HOME: join(dir, 'data') };
  const login = await run(loginCommand, [hub.url, '-u', TEST_ADMIN.username, '--password-stdin'], env, TEST_ADMIN.password);
  if (login.code !== 0) throw new Error(`logging in failed: ${login.stderr}`);
  const client = hub.admin();
  image = await pushSampleImage(client, 'team/app', 'v1');
  arm64 = await pushSampleImage(client, 'team/app', 'v1-arm64', 'arm64');
  await pushPlatformIndex(client, 'team/app', 'multi', [
    { digest: image.digest, size: image.size, architecture: 'amd64' },
    { digest: arm64.digest, size: arm64.size, architecture: 'arm64' },
  ]);
  scanned = { ...sampleImage, digest: image.digest, created: '1970-01-01T00:00:00Z' };
});

afterAll(async () => {
  await hub?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('nocker sbom', () => {
  it('says clearly when the image has no SBOM yet', async () => {
    const result = await run(sbomCommand, [`${hub.host}/team/app:v1`], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`nocker: no cyclonedx SBOM for ${hub.host}/team/app:v1 yet: the Hub makes one when it has scanned the image (see nocker scan ${hub.host}/team/app:v1)\n`);
  });

  it('prints the CycloneDX or SPDX document as stored, or saves it', async () => {
    await attachSboms(hub.registry, scanned);
    const cyclonedx = await run(sbomCommand, [`${hub.host}/team/app:v1`], env);
    expect(cyclonedx.code).toBe(0);
    expect(cyclonedx.stdout).toBe(`${await cycloneDxDocument(scanned)}\n`);

    const spdx = await run(sbomCommand, ['team/app@' + image.digest, '--format', 'spdx', '--hub', hub.url], env);
    expect(spdx.stdout).toBe(spdxDocument(scanned));

    const file = join(dir, 'app.cdx.json');
    const saved = await run(sbomCommand, [`${hub.host}/team/app:v1`, '-o', file], env);
    expect(saved).toMatchObject({ code: 0, stdout: '' });
    expect(await readFile(file, 'utf8')).toBe(await cycloneDxDocument(scanned));
  });

  it('picks one platform of an index', async () => {
    const arm64Scan = { ...scanned, digest: arm64.digest, platform: 'linux/arm64', packages: [] };
    await attachSboms(hub.registry, arm64Scan);
    const picked = await run(sbomCommand, [`${hub.host}/team/app:multi`, '--platform', 'linux/arm64'], env);
    expect(JSON.parse(picked.stdout)).toMatchObject({ metadata: { component: { version: arm64.digest } } });
    const amd64 = await run(sbomCommand, [`${hub.host}/team/app:multi`], env);
    expect(JSON.parse(amd64.stdout)).toMatchObject({ metadata: { component: { version: image.digest } } });
  });

  it('refuses what it cannot do', async () => {
    await expect(run(sbomCommand, [], env)).rejects.toThrow(UsageError);
    await expect(run(sbomCommand, [`${hub.host}/team/app:v1`, '--format', 'xml'], env)).rejects.toThrow('--format is cyclonedx or spdx');
    await expect(run(sbomCommand, [`${hub.host}/team/app:nope`], env)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    const help = await run(sbomCommand, ['--help'], env);
    expect(help.stdout).toContain('nocker sbom REF');
  });
});

describe('chooseSbomReferrer', () => {
  it('prefers the Hub’s SBOM, else the most recent', () => {
    const hubMade = { mediaType: 'm', digest: 'sha256:a', size: 1, annotations: { 'dev.nocker.sbom.generator': 'nocker-hub' } };
    const built = { mediaType: 'm', digest: 'sha256:b', size: 1 };
    const later = { mediaType: 'm', digest: 'sha256:c', size: 1 };
    expect(chooseSbomReferrer([hubMade, built])).toBe(hubMade);
    expect(chooseSbomReferrer([built, later])).toBe(later);
    expect(chooseSbomReferrer([])).toBeUndefined();
  });
});
