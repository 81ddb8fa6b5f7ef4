import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import type { Database } from '../db/open.ts';
import { vulnerabilities, vulnerabilityPackages } from '../db/schema.ts';
import { matchImage, vulndbVersion } from './matcher.ts';
import { scanReport, storeScan } from './results.ts';
import { insertRecord } from './testing.ts';
import type { ScannedImage } from './types.ts';

const image = (digest: string, packages: ScannedImage['packages']): ScannedImage => ({ repository: 'team/app', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', packages });

describe('matching stored packages', () => {
  const backends = useTestBackends();
  let db: Database;

  beforeAll(() => {
    db = backends().database.db;
  });

  it('matches without a vulnerability database, finding nothing', async () => {
    expect(await vulndbVersion(db)).toBeNull();
    await storeScan(db, image('sha256:empty', [{ type: 'npm', name: 'lodash', version: '4.17.20', path: 'node_modules/lodash/package.json', purl: 'pkg:npm/lodash@4.17.20', ecosystem: 'npm' }]));
    expect(await matchImage(db, 'sha256:empty')).toBe(0);
    const report = await scanReport(db, 'sha256:empty');
    expect(report).toMatchObject({ status: 'done', vulndbVersion: null, vulnerabilities: [], counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 } });
  });

  it('skips a package whose version cannot be read, and records that cannot be parsed, and matches the rest', async () => {
    await insertRecord(db, 'GHSA-lodash', 'high', [{ ecosystem: 'npm', name: 'lodash', fixed: '4.17.21' }]);
    await insertRecord(db, 'GHSA-left-pad', 'high', [{ ecosystem: 'npm', name: 'left-pad', fixed: '1.3.0' }]);
    // A stored record the parser refuses (no `modified`).
    await db.insert(vulnerabilities).values({ id: 'BROKEN-1', modified: new Date(), aliases: [], severity: 'critical', record: { id: 'BROKEN-1' }, importId: 1 });
    await db.insert(vulnerabilityPackages).values({ vulnerabilityId: 'BROKEN-1', ecosystem: 'npm', ecosystemBase: 'npm', name: 'lodash' });
    await storeScan(
      db,
      image('sha256:mixed', [
        { type: 'npm', name: 'lodash', version: '4.17.20', path: 'a/node_modules/lodash/package.json', purl: 'pkg:npm/lodash@4.17.20', ecosystem: 'npm' },
        { type: 'npm', name: 'left-pad', version: 'not a version', path: 'a/node_modules/left-pad/package.json', purl: 'pkg:npm/left-pad', ecosystem: 'npm' },
        // No ecosystem: listed, never matched.
        { type: 'deb', name: 'lodash', version: '1.0', path: 'var/lib/dpkg/status', purl: 'pkg:deb/debian/lodash@1.0' },
      ]),
    );
    expect(await matchImage(db, 'sha256:mixed')).toBe(1);
    const report = await scanReport(db, 'sha256:mixed');
    expect(report.vulndbVersion).toBe(1);
    expect(report.packages).toHaveLength(3);
    expect(report.vulnerabilities).toEqual([
      { id: 'GHSA-lodash', aliases: [], summary: 'GHSA-lodash summary', severity: 'high', package: { name: 'lodash', version: '4.17.20', type: 'npm', ecosystem: 'npm' }, installedVersion: '4.17.20', fixedVersion: '4.17.21' },
    ]);
  });

  it('replaces the findings when a scan is stored again', async () => {
    await storeScan(db, image('sha256:mixed', [{ type: 'npm', name: 'lodash', version: '4.17.21', path: 'node_modules/lodash/package.json', purl: 'pkg:npm/lodash@4.17.21', ecosystem: 'npm' }]));
    expect((await scanReport(db, 'sha256:mixed')).vulnerabilities).toEqual([]);
    expect(await matchImage(db, 'sha256:mixed')).toBe(0);
  });
});
