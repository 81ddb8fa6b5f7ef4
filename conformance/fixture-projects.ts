/**
 * What the suites that exercise the Hub's intelligence build and import, made on disk the way a
 * user would have it: a Debian 12 root filesystem to `nocker import`, a Node application to
 * `nocker build` on it, and OSV records to `nocker hub vulndb import` — plus the wait for the
 * Hub's scan of an image to settle.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CliTestHub } from '../cli/testing.ts';
import { fetchScanReport, type ScanReport } from '../hub/client/scans.ts';

/**
 * Writes `files` (path relative to `root` → content) into a fresh `root` and returns `root`.
 *
 * @example
 * const root = await writeTree(join(dir, 'osv'), { 'npm/GHSA-0000-0000-0001.json': '{}' });
 */
export async function writeTree(root: string, files: Record<string, string>): Promise<string> {
  await rm(root, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/**
 * A Debian 12 root filesystem whose libssl3 comes from the openssl source package at
 * `opensslVersion`, written to `dir/name` and packed as `dir/name.tar.gz`; returns the tarball.
 *
 * @example
 * const tarball = await debianBaseTarball(cli.dir, 'base', '3.0.11-1~deb12u2');
 * await run(importCommand, [tarball, `${cli.host}/e2e/base:1`], cli.env);
 */
export async function debianBaseTarball(dir: string, name: string, opensslVersion: string): Promise<string> {
  const root = await writeTree(join(dir, name), {
    'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    'var/lib/dpkg/status': [
      'Package: libssl3',
      'Status: install ok installed',
      'Architecture: amd64',
      'Source: openssl',
      `Version: ${opensslVersion}`,
      '',
      'Package: base-files',
      'Status: install ok installed',
      'Architecture: amd64',
      'Version: 12.4+deb12u5',
      '',
    ].join('\n'),
  });
  const tarball = join(dir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', root, '.']);
  return tarball;
}

/** A Node application's Nockerfile project: the image's name, its base, the lodash it bundles. */
export interface NodeApplication {
  /** The image's name in the Nockerfile, e.g. `e2e/app`. */
  name: string;
  /** The base image reference, e.g. `e2e/base:1`. */
  base: string;
  /** The version of lodash under `app/node_modules`. */
  lodashVersion: string;
}

/**
 * Writes into a fresh `dir` a Nockerfile project named `name` on `base` whose one step copies
 * an app bundling lodash `lodashVersion` to `/srv/app`; returns the Nockerfile's path.
 *
 * @example
 * const nockerfile = await nodeApplication(join(cli.dir, 'app'), { name: 'e2e/app', base: 'e2e/base:1', lodashVersion: '4.17.20' });
 * await run(buildCommand, ['-f', nockerfile, '-t', `${cli.host}/e2e/app:1`, '--push', '-q'], cli.env);
 */
export async function nodeApplication(dir: string, { name, base, lodashVersion }: NodeApplication): Promise<string> {
  const root = await writeTree(dir, {
    'Nockerfile.yml': ['version: "1.0"', `name: ${name}`, 'build:', `  base: ${base}`, '  steps:', '    - copy: app /srv/app', ''].join('\n'),
    'app/index.js': 'console.log("hello");\n',
    'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: lodashVersion, license: 'MIT' }),
  });
  return join(root, 'Nockerfile.yml');
}

/** CVSS v3.1 vectors the Hub rates critical (9.8) and high (7.5). */
export const CVSS = {
  critical: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  high: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N',
} as const;

/** One OSV record: package `name` of `ecosystem` is affected from the start until `fixed`. */
export interface OsvRecordFields {
  id: string;
  /** An OSV ecosystem, e.g. `Debian:12` or `npm`. */
  ecosystem: string;
  name: string;
  /** The first version that is not affected. */
  fixed: string;
  /** A CVSS v3 vector, e.g. {@link CVSS}`.high`. */
  vector: string;
}

/**
 * The JSON text of an OSV record, as an operator's vulnerability feed holds it.
 *
 * @example
 * await writeTree(join(dir, 'osv'), {
 *   'npm/GHSA-e2e0-0000-0001.json': osvRecord({ id: 'GHSA-e2e0-0000-0001', ecosystem: 'npm', name: 'lodash', fixed: '4.17.21', vector: CVSS.high }),
 * });
 */
export function osvRecord({ id, ecosystem, name, fixed, vector }: OsvRecordFields): string {
  return JSON.stringify({
    id,
    modified: '2026-01-01T00:00:00Z',
    summary: `${name} is vulnerable`,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  });
}

export interface ScanWait {
  /** Wait for a report matched against this vulnerability database version; any, when undefined. */
  vulndbVersion?: number;
  /** How long to wait before failing; 60 s unless told. */
  timeoutMs?: number;
  /** How long to sleep between polls; 200 ms unless told. */
  intervalMs?: number;
}

/**
 * Polls the Hub (as the admin) until its scan report of `repository@reference` is done — and
 * matched against `vulndbVersion` when given — and returns it; fails when the scan failed or
 * did not settle in time.
 *
 * @example
 * const report = await waitForScanReport(cli, 'e2e/app', digest, { vulndbVersion: 2 });
 * expect(report.vulnerabilities).toEqual([]);
 */
export async function waitForScanReport(
  cli: Pick<CliTestHub, 'admin'>,
  repository: string,
  reference: string,
  { vulndbVersion, timeoutMs = 60_000, intervalMs = 200 }: ScanWait = {},
): Promise<ScanReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await fetchScanReport(cli.admin(), repository, reference);
    if (report.status === 'failed') throw new Error(`the scan of ${repository}@${reference} failed: ${report.error}`);
    if (report.status === 'done' && (vulndbVersion === undefined || report.vulndbVersion === vulndbVersion)) return report;
    if (Date.now() > deadline) throw new Error(`the scan of ${repository}@${reference} did not settle: ${JSON.stringify(report).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
