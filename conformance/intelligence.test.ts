/**
 * The Hub's intelligence end to end, through the `nocker` commands a user runs: an image built
 * on a base is scanned and gets SBOMs as referrers, an imported OSV set turns into findings on
 * it, the base lists it as a dependent, and a vulnerability policy blocks its pull until an
 * allowlist or a rebuild on a fixed base clears it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../cli/build.ts';
import { depsCommand } from '../cli/deps.ts';
import { importCommand } from '../cli/import.ts';
import { hubAdminCommand } from '../cli/hub-admin.ts';
import { vulndbCommand } from '../cli/admin/vulndb.ts';
import { pullCommand } from '../cli/pull.ts';
import { sbomCommand } from '../cli/sbom.ts';
import { scanCommand } from '../cli/scan.ts';
import { tagCommand } from '../cli/tag.ts';
import { type CliTestHub, run, startCliTestHub } from '../cli/testing.ts';
import type { ScanReport } from '../hub/client/scans.ts';
import { CVSS, debianBaseTarball, nodeApplication, osvRecord, waitForScanReport, writeTree } from './fixture-projects.ts';

let cli: CliTestHub;
let host: string;

/** The application: a Nockerfile on the base, copying an app with lodash at `lodashVersion`; returns the Nockerfile's path. */
function application(lodashVersion: string): Promise<string> {
  return nodeApplication(join(cli.dir, 'app'), { name: 'e2e/app', base: 'e2e/base:1', lodashVersion });
}

/** The OSV set the operator imports: two that affect the image, one that does not. */
async function osvRecords(): Promise<string> {
  return writeTree(join(cli.dir, 'osv'), {
    'debian/DEBIAN-CVE-2099-0001.json': osvRecord({ id: 'DEBIAN-CVE-2099-0001', ecosystem: 'Debian:12', name: 'openssl', fixed: '3.0.13-1~deb12u1', vector: CVSS.critical }),
    'npm/GHSA-e2e0-0000-0001.json': osvRecord({ id: 'GHSA-e2e0-0000-0001', ecosystem: 'npm', name: 'lodash', fixed: '4.17.21', vector: CVSS.high }),
    // Fixed long before the installed version: must not be reported.
    'npm/GHSA-e2e0-0000-0002.json': osvRecord({ id: 'GHSA-e2e0-0000-0002', ecosystem: 'npm', name: 'lodash', fixed: '4.0.0', vector: CVSS.high }),
  });
}

/** Waits until the Hub's report of `e2e/app@reference` is done and matched against database `version` (or any, when undefined). */
function settledReport(reference: string, version?: number): Promise<ScanReport> {
  return waitForScanReport(cli, 'e2e/app', reference, { vulndbVersion: version });
}

const nocker = {
  import: (argv: string[]) => run(importCommand, argv, cli.env),
  build: (argv: string[]) => run(buildCommand, argv, cli.env),
  scan: (argv: string[]) => run(scanCommand, argv, cli.env),
  sbom: (argv: string[]) => run(sbomCommand, argv, cli.env),
  deps: (argv: string[]) => run(depsCommand, argv, cli.env),
  pull: (argv: string[]) => run(pullCommand, argv, cli.env),
  vulndb: (argv: string[]) => run(vulndbCommand, argv, cli.env),
  vulnerabilityPolicy: (argv: string[]) => run((args, io) => hubAdminCommand('vulnerability-policy', args, io), argv, cli.env),
};

beforeAll(async () => {
  cli = await startCliTestHub('intelligence', ({ url }) => ({ NOCKER_HUB: url }));
  host = cli.host;
});

afterAll(async () => {
  await cli?.destroy();
});

describe('an image built on a base, through the Hub', () => {
  let appDigest: string;
  let vulndbVersion: number;

  it('is scanned when pushed and gets a CycloneDX and an SPDX SBOM as referrers', async () => {
    const base = await nocker.import([await debianBaseTarball(cli.dir, 'base-v1', '3.0.11-1~deb12u2'), `${host}/e2e/base:1`]);
    expect(base.code, base.stderr).toBe(0);
    const built = await nocker.build(['-f', await application('4.17.20'), '-t', `${host}/e2e/app:1`, '--push', '-q']);
    expect(built.code, built.stderr).toBe(0);
    appDigest = built.stdout.trim();

    const report = await settledReport(appDigest);
    expect(report.os?.id).toBe('debian');
    expect(report.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort()).toEqual(['deb:base-files@12.4+deb12u5', 'deb:libssl3@3.0.11-1~deb12u2', 'npm:lodash@4.17.20']);
    expect(report.vulnerabilities).toEqual([]);

    const cyclonedx = await waitFor(() => nocker.sbom([`${host}/e2e/app:1`]));
    const bom = JSON.parse(cyclonedx.stdout) as { bomFormat: string; specVersion: string; components: { purl?: string }[] };
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    expect(bom.components.map((c) => c.purl)).toEqual(expect.arrayContaining([expect.stringMatching(/^pkg:deb\/debian\/libssl3@3\.0\.11-1~deb12u2\?arch=amd64&distro=debian-12&upstream=openssl/), 'pkg:npm/lodash@4.17.20']));
    const spdx = await waitFor(() => nocker.sbom([`${host}/e2e/app:1`, '--format', 'spdx']));
    expect(JSON.parse(spdx.stdout)).toMatchObject({ spdxVersion: 'SPDX-2.3' });

    // Promoted to another repository, the image is not scanned again but gets its SBOMs there too.
    expect((await run(tagCommand, [`${host}/e2e/app:1`, `${host}/e2e/promoted:1`, '-q'], cli.env)).code).toBe(0);
    const promoted = await waitFor(() => nocker.sbom([`${host}/e2e/promoted:1`]));
    expect(JSON.parse(promoted.stdout)).toMatchObject({ metadata: { component: { name: 'e2e/promoted', version: appDigest } } });
  });

  it('has the vulnerabilities of an imported OSV set, the base\'s one reported via the base', async () => {
    const imported = await nocker.vulndb(['import', await osvRecords(), '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    vulndbVersion = (JSON.parse(imported.stdout) as { version: number }).version;

    const report = await settledReport(appDigest, vulndbVersion);
    expect(report.vulnerabilities.map((v) => [v.id, v.severity, v.package.name, v.installedVersion, v.fixedVersion])).toEqual([
      ['DEBIAN-CVE-2099-0001', 'critical', 'libssl3', '3.0.11-1~deb12u2', '3.0.13-1~deb12u1'],
      ['GHSA-e2e0-0000-0001', 'high', 'lodash', '4.17.20', '4.17.21'],
    ]);
    expect(report.vulnerabilities[0]?.via).toMatch(/e2e\/base/);
    expect(report.vulnerabilities[1]?.via).toBeUndefined();

    const scan = await nocker.scan([`${host}/e2e/app:1`, '--fail-on', 'high']);
    expect(scan.code).toBe(1);
    expect(scan.stdout).toMatch(/DEBIAN-CVE-2099-0001\s+critical\s+/);
    expect(scan.stdout).toMatch(/GHSA-e2e0-0000-0001\s+high\s+lodash\s+4\.17\.20\s+4\.17\.21/);
    expect(scan.stdout).not.toContain('GHSA-e2e0-0000-0002');
    expect((await nocker.scan([`${host}/e2e/app:1`])).code).toBe(0);
  });

  it('is listed among the dependents of its base', async () => {
    const dependents = await nocker.deps([`${host}/e2e/base:1`, '--dependents']);
    expect(dependents.code, dependents.stderr).toBe(0);
    expect(dependents.stdout).toContain('e2e/app');
    expect(dependents.stdout).toContain(appDigest.slice(7, 19));
  });

  it('cannot be pulled under a vulnerability policy until the allowlist or a rebuild clears it', async () => {
    const policy = (...extra: string[]) => nocker.vulnerabilityPolicy(['set', 'e2e', '--mode', 'enforce', '--severity', 'high', ...extra]);
    expect((await policy()).code).toBe(0);
    await expect(nocker.pull([`${host}/e2e/app:1`, '-q'])).rejects.toMatchObject({
      code: 'DENIED',
      message: expect.stringMatching(/vulnerability policy.*DEBIAN-CVE-2099-0001 \(critical.*GHSA-e2e0-0000-0001 \(high/),
    });

    expect((await policy('--allow', 'DEBIAN-CVE-2099-0001@30d=waiting for the base', '--allow', 'GHSA-e2e0-0000-0001@30d')).code).toBe(0);
    const allowed = await nocker.pull([`${host}/e2e/app:1`, '-q']);
    expect(allowed.code, allowed.stderr).toBe(0);

    expect((await policy()).code).toBe(0);
    // The base is fixed under the same tag: the rebuild plan names the image built on the old one.
    expect((await nocker.import([await debianBaseTarball(cli.dir, 'base-v2', '3.0.13-1~deb12u1'), `${host}/e2e/base:1`])).code).toBe(0);
    const plan = await nocker.deps([`${host}/e2e/base:1`, '--rebuild-plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('e2e/app');

    const rebuilt = await nocker.build(['-f', await application('4.17.21'), '-t', `${host}/e2e/app:1`, '--push', '--update', '-q']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const report = await settledReport(rebuilt.stdout.trim(), vulndbVersion);
    expect(report.vulnerabilities).toEqual([]);
    const pulled = await nocker.pull([`${host}/e2e/app:1`, '-q']);
    expect(pulled.code, pulled.stderr).toBe(0);
  });
});

/** Runs `attempt` until it exits 0 (the Hub makes SBOMs right after the scan), for up to 30 s. */
async function waitFor(attempt: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<{ code: number; stdout: string; stderr: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await attempt();
    if (result.code === 0 || Date.now() > deadline) {
      expect(result.code, result.stderr).toBe(0);
      return result;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
