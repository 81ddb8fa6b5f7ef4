import { asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import { vulnerabilities, vulnerabilityPackages } from '../db/schema.ts';
import { thrownBy } from '../oci/thrown.ts';
import { OsvRecordError, parseOsvRecord, type OsvRecord } from '../scanning/osv/record.ts';
import { checkRecordTimes, createVulnerabilityDatabase, type VulnerabilityDatabase } from './store.ts';

const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

/** An OSV record naming `packages` (ecosystem, name), each affected from 0 until 2.0. */
function osv(id: string, modified: string, packages: [string, string][], extra: Record<string, unknown> = {}): OsvRecord {
  return parseOsvRecord({
    id,
    modified,
    affected: packages.map(([ecosystem, name]) => ({ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] })),
    ...extra,
  });
}

const backends = useTestBackends();
let vulndb: VulnerabilityDatabase;

beforeAll(async () => {
  vulndb = createVulnerabilityDatabase(backends().database.db);
});

const stored = async (id: string) => (await backends().database.db.select().from(vulnerabilities).where(eq(vulnerabilities.id, id)))[0];
const packagesOf = async (id: string) =>
  (await backends().database.db.select().from(vulnerabilityPackages).where(eq(vulnerabilityPackages.vulnerabilityId, id)).orderBy(asc(vulnerabilityPackages.ecosystem), asc(vulnerabilityPackages.name))).map(
    ({ ecosystem, ecosystemBase, name }) => ({ ecosystem, ecosystemBase, name }),
  );

describe('the vulnerability database', () => {
  it('reports no version and nothing held before the first import', async () => {
    expect(await vulndb.status()).toEqual({ version: null, records: 0, withdrawn: 0, ecosystems: [], lastImport: null });
  });

  it('adds new records with their severity, aliases and one lookup row per distinct package', async () => {
    const id = await vulndb.beginImport('admin', 'test');
    const result = await vulndb.upsert(id, [
      osv('PYSEC-1', '2024-01-01T00:00:00Z', [['PyPI', 'Zope.Interface'], ['PyPI', 'zope_interface'], ['PyPI', 'requests']], {
        aliases: ['CVE-2024-0001'],
        summary: 'a flaw',
        severity: [{ type: 'CVSS_V3', score: CRITICAL }],
      }),
      osv('DEBIAN-CVE-2024-0002', '2024-01-01T00:00:00Z', [['Debian:12', 'openssl'], ['Debian:11', 'openssl']], { database_specific: { urgency: 'low' } }),
    ]);
    expect(result).toEqual({ added: 2, updated: 0, withdrawn: 0, skipped: 0, changedIds: ['PYSEC-1', 'DEBIAN-CVE-2024-0002'] });

    const pysec = await stored('PYSEC-1');
    expect(pysec).toMatchObject({ aliases: ['CVE-2024-0001'], summary: 'a flaw', severity: 'critical', score: '9.8', withdrawn: null, importId: id });
    expect(pysec?.modified.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(pysec?.record).toMatchObject({ id: 'PYSEC-1', aliases: ['CVE-2024-0001'] });
    // Both spellings of zope.interface are one package under PEP 503.
    expect(await packagesOf('PYSEC-1')).toEqual([
      { ecosystem: 'PyPI', ecosystemBase: 'PyPI', name: 'requests' },
      { ecosystem: 'PyPI', ecosystemBase: 'PyPI', name: 'zope-interface' },
    ]);
    expect(await stored('DEBIAN-CVE-2024-0002')).toMatchObject({ severity: 'low', score: null, summary: null });
    expect(await packagesOf('DEBIAN-CVE-2024-0002')).toEqual([
      { ecosystem: 'Debian:11', ecosystemBase: 'Debian', name: 'openssl' },
      { ecosystem: 'Debian:12', ecosystemBase: 'Debian', name: 'openssl' },
    ]);
    await vulndb.finishImport(id, { ...result, rejected: 0 });
  });

  it('replaces a record, and its lookup rows, only with a later copy', async () => {
    const id = await vulndb.beginImport('admin');
    const result = await vulndb.upsert(id, [
      osv('PYSEC-1', '2024-02-01T00:00:00Z', [['PyPI', 'urllib3']], { summary: 'now urllib3' }),
      osv('DEBIAN-CVE-2024-0002', '2024-01-01T00:00:00Z', [['Debian:12', 'curl']]),
      osv('DEBIAN-CVE-2024-0002', '2023-12-01T00:00:00Z', [['Debian:12', 'wget']]),
    ]);
    expect(result).toEqual({ added: 0, updated: 1, withdrawn: 0, skipped: 2, changedIds: ['PYSEC-1'] });
    expect(await stored('PYSEC-1')).toMatchObject({ summary: 'now urllib3', severity: 'unknown', importId: id });
    expect(await packagesOf('PYSEC-1')).toEqual([{ ecosystem: 'PyPI', ecosystemBase: 'PyPI', name: 'urllib3' }]);
    expect(await packagesOf('DEBIAN-CVE-2024-0002')).toHaveLength(2);
    await vulndb.finishImport(id, { ...result, rejected: 0 });
  });

  it('keeps the latest of several copies of one record in a batch', async () => {
    const id = await vulndb.beginImport('admin');
    const result = await vulndb.upsert(id, [
      osv('GHSA-dup', '2024-03-01T00:00:00Z', [['npm', 'left-pad']], { summary: 'older' }),
      osv('GHSA-dup', '2024-03-02T00:00:00Z', [['npm', 'left-pad']], { summary: 'newer' }),
      osv('GHSA-dup', '2024-03-01T12:00:00Z', [['npm', 'left-pad']], { summary: 'middle' }),
    ]);
    expect(result).toEqual({ added: 1, updated: 0, withdrawn: 0, skipped: 2, changedIds: ['GHSA-dup'] });
    expect((await stored('GHSA-dup'))?.summary).toBe('newer');
    await vulndb.finishImport(id, { ...result, rejected: 0 });
  });

  it('stores a withdrawal, which an older copy imported later does not undo', async () => {
    const id = await vulndb.beginImport('admin');
    const withdrawal = await vulndb.upsert(id, [
      osv('GHSA-dup', '2024-04-01T00:00:00Z', [['npm', 'left-pad']], { withdrawn: '2024-04-01T00:00:00Z' }),
      osv('GHSA-gone', '2024-04-01T00:00:00Z', [['npm', 'is-odd']], { withdrawn: '2024-03-31T00:00:00Z' }),
    ]);
    expect(withdrawal).toEqual({ added: 0, updated: 0, withdrawn: 2, skipped: 0, changedIds: ['GHSA-dup', 'GHSA-gone'] });
    const again = await vulndb.upsert(id, [osv('GHSA-dup', '2024-03-02T00:00:00Z', [['npm', 'left-pad']])]);
    expect(again).toEqual({ added: 0, updated: 0, withdrawn: 0, skipped: 1, changedIds: [] });
    expect((await stored('GHSA-dup'))?.withdrawn?.toISOString()).toBe('2024-04-01T00:00:00.000Z');
    // Its lookup rows stay: images it was found in must be found to be matched again.
    expect(await packagesOf('GHSA-dup')).toEqual([{ ecosystem: 'npm', ecosystemBase: 'npm', name: 'left-pad' }]);
    await vulndb.finishImport(id, { added: 0, updated: 0, withdrawn: 2, skipped: 1, rejected: 0 });
  });

  it('refuses a record whose times are not dates before writing any of its batch', async () => {
    const bad = osv('BAD-1', 'yesterday', [['npm', 'x']]);
    expect(thrownBy(() => checkRecordTimes(bad), OsvRecordError).message).toBe('BAD-1: modified is "yesterday", not an RFC 3339 date and time');
    expect(() => checkRecordTimes(osv('BAD-2', '2024-01-01T00:00:00Z', [], { withdrawn: 'soon' }))).toThrow(/withdrawn is "soon"/);
    const id = await vulndb.beginImport('admin');
    await expect(vulndb.upsert(id, [osv('GOOD-1', '2024-01-01T00:00:00Z', [['npm', 'x']]), bad])).rejects.toThrow(OsvRecordError);
    expect(await stored('GOOD-1')).toBeUndefined();
  });

  it('reports records, withdrawals, ecosystems in force and the latest finished import', async () => {
    const status = await vulndb.status();
    expect(status).toMatchObject({ records: 4, withdrawn: 2 });
    expect(status.ecosystems).toEqual([
      { ecosystem: 'Debian:11', records: 1 },
      { ecosystem: 'Debian:12', records: 1 },
      { ecosystem: 'PyPI', records: 1 },
    ]);
    // The import opened by the refused batch never finished: the version is the one before it.
    expect(status.version).toBe(status.lastImport?.id);
    expect(status.version).toBe(await vulndb.version());
    expect(status.lastImport).toMatchObject({ importedBy: 'admin', source: null, counts: { added: 0, updated: 0, withdrawn: 2, skipped: 1, rejected: 0 } });
    expect(status.lastImport?.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('loads ten thousand records in batches of 500 within seconds', async () => {
    const id = await vulndb.beginImport('admin', 'bulk');
    const started = Date.now();
    let added = 0;
    for (let batch = 0; batch < 20; batch++) {
      const records = Array.from({ length: 500 }, (_, i) => osv(`BULK-${batch}-${i}`, '2024-05-01T00:00:00Z', [['npm', `pkg-${i}`], ['Alpine:v3.20', `apk-${i}`]]));
      added += (await vulndb.upsert(id, records)).added;
    }
    expect(added).toBe(10_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    await vulndb.finishImport(id, { added, updated: 0, withdrawn: 0, skipped: 0, rejected: 0 });
    expect((await vulndb.status()).ecosystems).toContainEqual({ ecosystem: 'Alpine:v3.20', records: 10_000 });
  });
});
