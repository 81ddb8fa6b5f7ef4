/** `/api/v1/vulndb` over a real Hub, through its HTTP API and the client. */
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../../conformance/auth-helpers.ts';
import { TEST_ADMIN, useTestHub } from '../../conformance/harness.ts';
import { HubAdmin } from '../client/admin.ts';
import { HubClient } from '../client/client.ts';
import { fetchVulndbStatus, importVulnerabilities } from '../client/vulndb.ts';
import type { ImportResult } from '../vulndb/types.ts';

const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
const ADMIN = basic(TEST_ADMIN.username, TEST_ADMIN.password);
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

/** One OSV record for npm package `name`, as one line of JSON. */
const line = (id: string, name = 'left-pad', modified = '2024-01-01T00:00:00Z', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, modified, affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }], ...extra });

describe('/api/v1/vulndb on a running Hub', () => {
  let url: string;
  useTestHub((hub) => (url = hub.url));
  const importBody = (body: string | null, headers: Record<string, string> = { Authorization: ADMIN, ...NDJSON }, query = '') =>
    fetch(`${url}/api/v1/vulndb/import${query}`, { method: 'POST', headers, body });

  beforeAll(async () => {
    await new HubAdmin(new HubClient({ url, credentials: TEST_ADMIN })).createUser({ name: 'ann', password: 'ann-password-1' });
  });

  it('reports an empty database to a logged-in account, and nothing to anonymous callers', async () => {
    expect((await fetch(`${url}/api/v1/vulndb`)).status).toBe(401);
    const res = await fetch(`${url}/api/v1/vulndb`, { headers: { Authorization: basic('ann', 'ann-password-1') } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: null, records: 0, withdrawn: 0, ecosystems: [], lastImport: null });
  });

  it('lets administrators alone import', async () => {
    const anonymous = await importBody(line('GHSA-a'), NDJSON);
    expect(anonymous.status).toBe(401);
    const ann = await importBody(line('GHSA-a'), { Authorization: basic('ann', 'ann-password-1'), ...NDJSON });
    expect(ann.status).toBe(403);
    expect(await ann.json()).toMatchObject({ errors: [{ code: 'DENIED', message: 'only administrators may do this' }] });
    // Through the client too, whose body is a stream the Hub refuses before reading it.
    const lines = (async function* () {
      for (let i = 0; i < 5000; i++) yield line(`GHSA-denied-${i}`);
    })();
    await expect(importVulnerabilities(new HubClient({ url, credentials: { username: 'ann', password: 'ann-password-1' } }), lines)).rejects.toMatchObject({ code: 'DENIED' });
  });

  it('refuses an empty body, and a zip archive, saying what it takes', async () => {
    for (const body of [null, '', '\n  \n']) {
      const res = await importBody(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ errors: [{ code: 'REQUEST_INVALID', message: expect.stringMatching(/holds no records: send OSV records as NDJSON/) }] });
    }
    const zip = await importBody('PK', { Authorization: ADMIN, 'Content-Type': 'application/zip' });
    expect(zip.status).toBe(415);
    expect(await zip.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED', message: expect.stringMatching(/nocker hub vulndb import/) }] });
    expect((await fetchVulndbStatus(new HubClient({ url, credentials: TEST_ADMIN }))).version).toBeNull();
  });

  it('stores the good lines and reports the bad ones with their line numbers and reasons', async () => {
    const huge = `{"id":"GHSA-huge","modified":"2024-01-01T00:00:00Z","details":"${'x'.repeat(8 * 1024 * 1024)}"}`;
    const body = [
      line('GHSA-good-1'),
      'not json',
      line('GHSA-good-2', 'is-odd', '2024-01-01T00:00:00Z', { withdrawn: '2024-02-01T00:00:00Z' }),
      '',
      JSON.stringify({ id: 'GHSA-bad', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm' } }] }),
      huge,
      line('GHSA-good-3', 'Left-Pad'),
    ].join('\n');
    const res = await importBody(body, { Authorization: ADMIN, ...NDJSON }, '?source=handmade');
    expect(res.status).toBe(200);
    const result = (await res.json()) as ImportResult;
    expect(result).toMatchObject({ counts: { added: 2, updated: 0, withdrawn: 1, skipped: 0, rejected: 3 }, rescanned: 0 });
    expect(result.version).toBe(result.import);
    expect(result.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^not JSON: /) },
      { line: 5, id: 'GHSA-bad', reason: 'GHSA-bad: affected[0].package.name is missing' },
      { line: 6, reason: `the line is ${huge.length} bytes long; a record may take at most ${8 * 1024 * 1024}` },
    ]);

    const status = await fetchVulndbStatus(new HubClient({ url, credentials: TEST_ADMIN }));
    expect(status).toMatchObject({ version: result.import, records: 3, withdrawn: 1, ecosystems: [{ ecosystem: 'npm', records: 2 }] });
    expect(status.lastImport).toMatchObject({ id: result.import, importedBy: 'admin', source: 'handmade', counts: result.counts });
    const [audited] = await auditEntries(url, { action: 'vulndb.import' });
    expect(audited).toMatchObject({ actor: 'admin', outcome: 'success', detail: { import: result.import, source: 'handmade', counts: result.counts, rescanned: 0 } });
  });

  it('reads a large body as it streams in, through the client', async () => {
    const count = 20_000;
    async function* generated(): AsyncGenerator<string> {
      for (let i = 0; i < count; i++) yield line(`GEN-${i}`, `pkg-${i % 1000}`);
    }
    const client = new HubClient({ url, credentials: TEST_ADMIN });
    const result = await importVulnerabilities(client, generated(), 'generated');
    expect(result.counts).toEqual({ added: count, updated: 0, withdrawn: 0, skipped: 0, rejected: 0 });
    expect(result.rejected).toEqual([]);
    const again = await importVulnerabilities(client, (async function* () {
      for (let i = 0; i < 500; i++) yield line(`GEN-${i}`, `pkg-${i % 1000}`);
    })());
    expect(again.counts).toEqual({ added: 0, updated: 0, withdrawn: 0, skipped: 500, rejected: 0 });
    expect(again.version).toBe(again.import);
    expect((await fetchVulndbStatus(client)).records).toBe(count + 3);
  }, 50_000);

  it('hands the client the error its lines threw, not a network failure', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield line('GHSA-before-failure');
      throw new Error('cannot read all.zip');
    }
    await expect(importVulnerabilities(new HubClient({ url, credentials: TEST_ADMIN }), failing())).rejects.toThrow('cannot read all.zip');
  });
});
