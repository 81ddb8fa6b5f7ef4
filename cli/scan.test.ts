import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortDigest } from './progress.ts';
import { scanCommand } from './scan.ts';
import { run, startCliTestHub, type CliTestHub } from './testing.ts';
import { fetchScanReport } from '../hub/client/scans.ts';
import { ALPINE_LAYERS, DEBIAN_LAYERS, insertSampleRecords, pushIndex, pushLayers, UBUNTU_LAYERS, waitForScan, type PushedImage } from '../hub/scanning/testing.ts';
import { UsageError } from './usage.ts';

describe('nocker scan', () => {
  let cli: CliTestHub;
  let debian: PushedImage;

  beforeAll(async () => {
    cli = await startCliTestHub('scan');
    await insertSampleRecords(cli.hub.scans.db);
    debian = await pushLayers(cli.admin(), 'team/app', 'v1', DEBIAN_LAYERS);
  });
  afterAll(async () => {
    await cli?.destroy();
  });

  it('waits for the scan and prints the findings worst first, with the counts', async () => {
    const result = await run(scanCommand, [`${cli.host}/team/app:v1`], cli.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`${cli.host}/team/app:v1@${debian.digest} · linux/amd64 · debian 12 · 4 packages · vulndb 1`);
    expect(lines[1]).toMatch(/^ID\s+SEVERITY\s+PACKAGE\s+INSTALLED\s+FIXED\s+LAYER$/);
    const layer = shortDigest(debian.layers[0]!);
    expect(lines[2]!.split(/\s+/)).toEqual(['GHSA-lodash', 'critical', 'lodash', '4.17.20', '4.17.21', layer]);
    expect(lines[3]!.split(/\s+/)).toEqual(['DEBIAN-CVE-2099-0001', 'high', 'libfoo1', '1.2-3', '1.2-4', layer]);
    expect(lines[4]!.split(/\s+/)).toEqual(['PYSEC-2099-1', 'medium', 'Requests', '2.0.0', '2.31.0', layer]);
    expect(lines[5]).toBe('1 critical, 1 high, 1 medium, 0 low, 0 unknown');
  });

  it('exits 1 when a finding is at or above --fail-on, and says how many', async () => {
    const high = await run(scanCommand, ['team/app:v1', '--hub', cli.host, '--fail-on', 'high'], cli.env);
    expect(high.code).toBe(1);
    expect(high.stderr).toBe('nocker: 2 vulnerabilities at or above high\n');
    const low = await run(scanCommand, [`${cli.host}/team/app@${debian.digest}`, '--fail-on', 'low'], cli.env);
    expect(low.code).toBe(1);
    expect(low.stderr).toBe('nocker: 3 vulnerabilities at or above low\n');
  });

  it('prints the report as JSON', async () => {
    const result = await run(scanCommand, [`${cli.host}/team/app:v1`, '--json'], cli.env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { digest: string; status: string; vulnerabilities: { id: string }[]; counts: Record<string, number> };
    expect(report).toMatchObject({ digest: debian.digest, status: 'done', counts: { critical: 1, high: 1, medium: 1, low: 0, unknown: 0 } });
    expect(report.vulnerabilities.map((v) => v.id)).toEqual(['GHSA-lodash', 'DEBIAN-CVE-2099-0001', 'PYSEC-2099-1']);
  });

  it('shows one section per platform of an index, and --fail-on counts them all', async () => {
    const client = cli.admin();
    const alpine = await pushLayers(client, 'team/multi', 'arm64', ALPINE_LAYERS, 'arm64');
    const ubuntu = await pushLayers(client, 'team/multi', 'amd64', UBUNTU_LAYERS, 'amd64');
    const index = await pushIndex(client, 'team/multi', 'v1', [
      { ...ubuntu, architecture: 'amd64' },
      { ...alpine, architecture: 'arm64' },
    ]);
    const result = await run(scanCommand, [`${cli.host}/team/multi:v1`, '--fail-on', 'critical'], cli.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${cli.host}/team/multi:v1@${index} · 2 platforms\n\n${ubuntu.digest} · linux/amd64 · ubuntu 22.04 · 1 package · vulndb 1\n`);
    expect(result.stdout).toContain(`\n${alpine.digest} · linux/arm64 · alpine 3.19.1 · 2 packages · vulndb 1\n`);
    expect(result.stdout).toMatch(/UBUNTU-CVE-2099-0006\s+medium\s+libbaz0\s+1\.0-1ubuntu1\s+1\.0-2/);
    expect(result.stdout).toMatch(/ALPINE-CVE-2099-0005\s+high\s+libcrypto3\s+3\.1\.4-r1\s+3\.1\.4-r3/);
    const medium = await run(scanCommand, [`${cli.host}/team/multi:v1`, '--fail-on', 'medium'], cli.env);
    expect(medium.code).toBe(1);
    expect(medium.stderr).toBe('nocker: 2 vulnerabilities at or above medium\n');
    const json = JSON.parse((await run(scanCommand, [`${cli.host}/team/multi:v1`, '--json'], cli.env)).stdout) as { children: unknown[]; images: { digest: string }[] };
    expect(json.children).toHaveLength(2);
    expect(json.images.map((i) => i.digest)).toEqual([ubuntu.digest, alpine.digest]);
  });

  it('exits 1 with the reason when the scan failed', async () => {
    const hostile = await pushLayers(cli.admin(), 'team/hostile', 'v1', [[{ path: '/etc/passwd', content: 'x' }]]);
    const result = await run(scanCommand, [`${cli.host}/team/hostile:v1`], cli.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('scan failed: layer');
    expect(result.stderr).toBe(`nocker: the scan of ${cli.host}/team/hostile:v1 failed: layer ${hostile.layers[0]}: an entry has an absolute name (/etc/passwd)\n`);
  });

  it('gives up waiting after --timeout while the scan is pending', async () => {
    const db = cli.hub.scans.db;
    const image = await pushLayers(cli.admin(), 'team/slow', 'v1', UBUNTU_LAYERS.map((layer) => [...layer, { path: 'slow', content: 'x' }]));
    await waitForScan(() => fetchScanReport(cli.admin(), 'team/slow', 'v1'));
    // As if it had been asked for again and were waiting for its turn.
    await db.execute(sql`delete from image_scans where digest = ${image.digest}`);
    // The finished job's row may still be on its way out: take it over rather than add a second one.
    await db.execute(
      sql`insert into scan_jobs (digest, repository, kind, run_after) values (${image.digest}, 'team/slow', 'scan', now() + interval '1 hour')
          on conflict (digest, kind) do update set run_after = excluded.run_after, lease_until = null, requested_at = now()`,
    );
    await expect(run(scanCommand, [`${cli.host}/team/slow:v1`, '--timeout', '1s'], cli.env)).rejects.toThrow(/still pending/);
  });

  it('names the base image a finding comes with', async () => {
    const os = DEBIAN_LAYERS[0]!.filter((entry) => !entry.path.startsWith('app/'));
    await pushLayers(cli.admin(), 'team/base', 'v1', [os]);
    await pushLayers(cli.admin(), 'team/derived', 'v1', [os, [{ path: 'srv/node_modules/lodash/package.json', content: '{"name":"lodash","version":"4.17.20"}' }]]);
    const result = await run(scanCommand, [`${cli.host}/team/derived:v1`], cli.env);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(/^ID\s+SEVERITY\s+PACKAGE\s+INSTALLED\s+FIXED\s+LAYER\s+VIA$/);
    expect(lines[2]).toMatch(/^GHSA-lodash\s+critical\s+lodash\s+4\.17\.20\s+4\.17\.21\s+[0-9a-f]{12}$/);
    expect(lines[3]).toMatch(/^DEBIAN-CVE-2099-0001\s+high\s+libfoo1\s+1\.2-3\s+1\.2-4\s+[0-9a-f]{12}\s+team\/base:v1$/);
  });

  it('refuses wrong usage', async () => {
    await expect(run(scanCommand, [], cli.env)).rejects.toBeInstanceOf(UsageError);
    await expect(run(scanCommand, ['team/app:v1', '--fail-on', 'severe'], cli.env)).rejects.toThrow(/--fail-on severe: expected one of critical, high, medium, low/);
    await expect(run(scanCommand, ['team/app:v1', '--timeout', 'soon'], cli.env)).rejects.toBeInstanceOf(UsageError);
  });
});
