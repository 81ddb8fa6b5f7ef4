import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { HubClient } from '../client/client.ts';
import { fetchScanReport } from '../client/scans.ts';
import type { Database } from '../db/open.ts';
import { hasScanJob } from './queue.ts';
import { ALPINE_LAYERS, DEBIAN_LAYERS, insertRecord, insertSampleRecords, pushIndex, pushLayers, UBUNTU_LAYERS, waitForScan } from './testing.ts';

describe('scan service', () => {
  let hub: TestHub;
  let client: HubClient;
  let db: Database;

  beforeAll(async () => {
    hub = await startTestHub();
    db = hub.scans.db;
    client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    await insertSampleRecords(db);
  });
  afterAll(async () => {
    await hub?.destroy();
  });

  it('finds the packages of a pushed image and exactly the vulnerabilities that affect them', async () => {
    const image = await pushLayers(client, 'team/app', 'v1', DEBIAN_LAYERS);
    const report = await waitForScan(() => fetchScanReport(client, 'team/app', 'v1'));
    expect(report).toMatchObject({ digest: image.digest, status: 'done', platform: 'linux/amd64', os: { id: 'debian', versionId: '12' }, vulndbVersion: 1 });
    const names = report.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort();
    expect(names).toEqual(['deb:bar@2.0-1', 'deb:libfoo1@1.2-3+b1', 'npm:lodash@4.17.20', 'pypi:Requests@2.0.0']);
    const libfoo = report.packages.find((p) => p.name === 'libfoo1');
    expect(libfoo).toMatchObject({ sourceName: 'foo', sourceVersion: '1.2-3', ecosystem: 'Debian:12', layer: image.layers[0] });
    expect(libfoo?.purl).toContain('pkg:deb/debian/libfoo1@1.2-3%2Bb1'.replace('%2B', '+'));

    expect(report.vulnerabilities.map((v) => [v.id, v.severity, v.package.name, v.installedVersion, v.fixedVersion])).toEqual([
      ['GHSA-lodash', 'critical', 'lodash', '4.17.20', '4.17.21'],
      ['DEBIAN-CVE-2099-0001', 'high', 'libfoo1', '1.2-3', '1.2-4'],
      ['PYSEC-2099-1', 'medium', 'Requests', '2.0.0', '2.31.0'],
    ]);
    expect(report.vulnerabilities[1]).toMatchObject({ aliases: ['CVE-2099-0001'], summary: 'DEBIAN-CVE-2099-0001 summary', layer: image.layers[0] });
    expect(report.counts).toEqual({ critical: 1, high: 1, medium: 1, low: 0, unknown: 0 });

    // The same answer by digest.
    const byDigest = await fetchScanReport(client, 'team/app', image.digest);
    expect(byDigest.vulnerabilities).toHaveLength(3);
  });

  it('matches again, without reading layers, when new records name a scanned package', async () => {
    const { digest } = await pushLayers(client, 'team/rematch', 'v1', DEBIAN_LAYERS);
    await waitForScan(() => hub.scans.report(digest));
    await insertRecord(db, 'DEBIAN-CVE-2099-0007', 'unknown', [{ ecosystem: 'Debian', name: 'bar' }]);
    expect(await hub.scans.rematchAffected(['DEBIAN-CVE-2099-0007'])).toBe(1);
    expect(await hub.scans.rematchAffected(['NOTHING-1'])).toBe(0);
    // Found by the same keys as matching uses: source packages, PyPI names in normal form.
    await insertRecord(db, 'DEBIAN-CVE-2099-0008', 'low', [{ ecosystem: 'Debian:12', name: 'foo', fixed: '1.2-5' }]);
    await insertRecord(db, 'PYSEC-2099-2', 'low', [{ ecosystem: 'PyPI', name: 'REQUESTS' }]);
    await insertRecord(db, 'DEBIAN-CVE-2099-0009', 'low', [{ ecosystem: 'Debian:12', name: 'libfoo1' }]);
    expect(await hub.scans.rematchAffected(['DEBIAN-CVE-2099-0008'])).toBe(1);
    expect(await hub.scans.rematchAffected(['PYSEC-2099-2'])).toBe(1);
    expect(await hub.scans.rematchAffected(['DEBIAN-CVE-2099-0009'])).toBe(0);
    for (let i = 0; i < 100; i++) {
      const report = await hub.scans.report(digest);
      if (report.counts.unknown === 1 && report.counts.low === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await hub.scans.report(digest)).vulnerabilities.map((v) => v.id)).toEqual(['GHSA-lodash', 'DEBIAN-CVE-2099-0001', 'PYSEC-2099-1', 'DEBIAN-CVE-2099-0008', 'PYSEC-2099-2', 'DEBIAN-CVE-2099-0007']);
  });

  it('scans an index by scanning each platform image, matching Alpine and Ubuntu LTS records', async () => {
    const alpine = await pushLayers(client, 'team/multi', 'arm64', ALPINE_LAYERS, 'arm64');
    const ubuntu = await pushLayers(client, 'team/multi', 'amd64', UBUNTU_LAYERS, 'amd64');
    await pushIndex(client, 'team/multi', 'v1', [
      { ...ubuntu, architecture: 'amd64' },
      { ...alpine, architecture: 'arm64' },
    ]);
    await waitForScan(() => fetchScanReport(client, 'team/multi', 'v1'));
    const alpineReport = await waitForScan(() => fetchScanReport(client, 'team/multi', alpine.digest));
    const ubuntuReport = await waitForScan(() => fetchScanReport(client, 'team/multi', ubuntu.digest));
    expect(alpineReport.vulnerabilities.map((v) => [v.id, v.package.name, v.installedVersion, v.fixedVersion])).toEqual([['ALPINE-CVE-2099-0005', 'libcrypto3', '3.1.4-r1', '3.1.4-r3']]);
    expect(alpineReport.packages.find((p) => p.name === 'musl')?.ecosystem).toBe('Alpine:v3.19');
    expect(ubuntuReport.vulnerabilities.map((v) => v.id)).toEqual(['UBUNTU-CVE-2099-0006']);
    const index = await fetchScanReport(client, 'team/multi', 'v1');
    expect(index.status).toBe('done');
    expect(index.packages).toEqual([]);
    expect(index.children).toEqual([
      { digest: ubuntu.digest, platform: 'linux/amd64', status: 'done', counts: { critical: 0, high: 0, medium: 1, low: 0, unknown: 0 } },
      { digest: alpine.digest, platform: 'linux/arm64', status: 'done', counts: { critical: 0, high: 1, medium: 0, low: 0, unknown: 0 } },
    ]);
  });

  it('fails the scan of a hostile layer for good, with the reason, and goes on serving', async () => {
    const hostile = await pushLayers(client, 'team/hostile', 'v1', [[{ path: '../escape', content: 'x' }]]);
    const report = await waitForScan(() => fetchScanReport(client, 'team/hostile', 'v1'));
    expect(report.status).toBe('failed');
    expect(report.error).toContain(hostile.layers[0]);
    expect(report.error).toContain('climbs out of the root');
    expect(report.packages).toEqual([]);
    const res = await fetch(`${hub.url}/v2/`, { headers: { Authorization: `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}` } });
    expect(res.status).toBe(200);
    // Nothing is queued again for it.
    expect(await hasScanJob(db, hostile.digest)).toBe(false);
  });

  it('names the base image a finding comes with, when its layer is one the base has', async () => {
    const os = DEBIAN_LAYERS[0]!.filter((entry) => !entry.path.startsWith('app/'));
    await pushLayers(client, 'team/base', 'v1', [os]);
    const derived = await pushLayers(client, 'team/derived', 'v1', [os, [{ path: 'app/node_modules/lodash/package.json', content: '{"name":"lodash","version":"4.17.20"}' }]]);
    const report = await waitForScan(() => fetchScanReport(client, 'team/derived', 'v1'));
    const via = Object.fromEntries(report.vulnerabilities.map((v) => [v.id, v.via]));
    expect(via['DEBIAN-CVE-2099-0001']).toBe('team/base:v1');
    expect(via['PYSEC-2099-1']).toBe('team/base:v1');
    expect(report.vulnerabilities.find((v) => v.id === 'GHSA-lodash')).toMatchObject({ layer: derived.layers[1] });
    expect(via['GHSA-lodash']).toBeUndefined();
    // The service's own report (no repository) does not look for bases.
    expect((await hub.scans.report(derived.digest)).vulnerabilities.every((v) => v.via === undefined)).toBe(true);
  });

  it('answers with the registry errors for unknown images, and needs pull permission', async () => {
    await expect(fetchScanReport(client, 'team/app', 'nope')).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    await expect(fetchScanReport(client, 'team/unknown', 'v1')).rejects.toMatchObject({ code: 'NAME_UNKNOWN' });
    const anonymous = new HubClient({ url: hub.url });
    await expect(fetchScanReport(anonymous, 'team/app', 'v1')).rejects.toMatchObject({ status: 401 });
  });
});
