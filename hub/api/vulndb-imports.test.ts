/** `GET /api/v1/vulndb/imports` over a real Hub: the import history, newest first. */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestHub } from '../../conformance/harness.ts';
import { HubAdmin } from '../client/admin.ts';
import { HubClient } from '../client/client.ts';
import { fetchVulndbImports, importVulnerabilities } from '../client/vulndb.ts';

const record = (id: string) =>
  JSON.stringify({ id, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }] });

async function* lines(...items: string[]) {
  yield* items;
}

describe('/api/v1/vulndb/imports on a running Hub', () => {
  let url: string;
  useTestHub((hub) => (url = hub.url));
  const reader = () => new HubClient({ url, credentials: { username: 'reader', password: 'reader-password-1' } });

  beforeAll(async () => {
    await new HubAdmin(new HubClient({ url, credentials: TEST_ADMIN })).createUser({ name: 'reader', password: 'reader-password-1' });
  });

  it('is empty before the first import, and closed to anonymous callers', async () => {
    expect((await fetch(`${url}/api/v1/vulndb/imports`)).status).toBe(401);
    expect(await fetchVulndbImports(reader())).toEqual([]);
  });

  it('lists imports newest first with who made them, from where, and their counts', async () => {
    const admin = new HubClient({ url, credentials: TEST_ADMIN });
    const first = await importVulnerabilities(admin, lines(record('GHSA-1'), record('GHSA-2')), 'first.zip');
    const second = await importVulnerabilities(admin, lines(record('GHSA-2'), 'not json'), 'second.zip');
    const imports = await fetchVulndbImports(reader());
    expect(imports.map((i) => i.id)).toEqual([second.import, first.import]);
    expect(imports[0]).toMatchObject({ source: 'second.zip', importedBy: TEST_ADMIN.username, counts: { added: 0, skipped: 1, rejected: 1 } });
    expect(imports[1]).toMatchObject({ source: 'first.zip', counts: { added: 2, rejected: 0 } });
    expect(Date.parse(imports[1]!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(imports[1]!.startedAt));
    expect(await fetchVulndbImports(reader(), 1)).toHaveLength(1);
  });

  it('refuses a limit that is not a whole number in range', async () => {
    for (const limit of ['0', '-1', 'x', '100000']) {
      const res = await fetch(`${url}/api/v1/vulndb/imports?limit=${limit}`, { headers: { Authorization: `Basic ${Buffer.from('reader:reader-password-1').toString('base64')}` } });
      expect(res.status).toBe(400);
    }
  });
});
