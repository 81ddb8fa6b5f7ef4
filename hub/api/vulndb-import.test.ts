/** The import route's parsing, batching and rescan callback, on a Hub's backends without a server. */
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestBackends } from '../../conformance/harness.ts';
import { authenticate, type AuthEnv } from '../auth/middleware.ts';
import { handleError } from '../distribution/errors.ts';
import { createVulnerabilityDatabase } from '../vulndb/store.ts';
import type { ImportResult } from '../vulndb/types.ts';
import { parseImportLine, vulndbRoutes } from './vulndb.ts';

const ADMIN = `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}`;
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

/** One OSV record for npm package `name`, as one line of JSON. */
const line = (id: string, name = 'left-pad', modified = '2024-01-01T00:00:00Z') =>
  JSON.stringify({ id, modified, affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }] });

describe('parseImportLine', () => {
  it('takes an OSV record and names what is wrong with anything else', () => {
    expect(parseImportLine(line('GHSA-1'))).toMatchObject({ record: { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z' } });
    expect(parseImportLine('{"id":')).toMatchObject({ reason: expect.stringMatching(/^not JSON: /) });
    expect(parseImportLine('[1]')).toEqual({ reason: 'record: (record) must be a JSON object' });
    expect(parseImportLine('{"id":"X-1"}')).toEqual({ id: 'X-1', reason: 'X-1: modified is missing' });
    expect(parseImportLine(line('X-2', 'a', 'last tuesday'))).toEqual({ id: 'X-2', reason: 'X-2: modified is "last tuesday", not an RFC 3339 date and time' });
  });
});

describe('the import route over a Hub’s backends', () => {
  const backends = useTestBackends();
  const rematched: string[][] = [];
  let app: Hono<AuthEnv>;

  beforeAll(async () => {
    const { access, database } = backends();
    await access.bootstrap({ quiet: true });
    app = new Hono<AuthEnv>();
    app.use('/api/v1/*', authenticate(access));
    const onImported = async (ids: string[]) => {
      rematched.push(ids);
      if (ids.includes('FAIL-REMATCH')) throw new Error('the scan queue is unavailable');
      return ids.length * 10;
    };
    app.route('/', vulndbRoutes(access, createVulnerabilityDatabase(database.db), { onImported, batchSize: 2, maxLineBytes: 300 }));
    app.onError(handleError);
  });

  const post = async (lines: string[]): Promise<ImportResult> => {
    const res = await app.request('/api/v1/vulndb/import', { method: 'POST', headers: { Authorization: ADMIN, ...NDJSON }, body: lines.join('\n') });
    expect(res.status).toBe(200);
    return (await res.json()) as ImportResult;
  };

  it('stores in batches and asks once, at the end, for the images of the changed records to be matched again', async () => {
    const result = await post([line('A-1'), line('A-2'), line('A-3'), 'x'.repeat(301), line('A-4'), line('A-5')]);
    expect(result).toMatchObject({ counts: { added: 5, rejected: 1 }, rejected: [{ line: 4, reason: 'the line is 301 bytes long; a record may take at most 300' }], rescanned: 50 });
    expect(rematched).toEqual([['A-1', 'A-2', 'A-3', 'A-4', 'A-5']]);
  });

  it('does not ask when nothing changed, and reports a failed request for rematching without failing the import', async () => {
    expect((await post([line('A-1'), line('A-2')])).rescanned).toBe(0);
    expect(rematched).toHaveLength(1);
    const result = await post([line('A-1', 'left-pad', '2024-06-01T00:00:00Z'), line('FAIL-REMATCH')]);
    expect(result).toMatchObject({ counts: { added: 1, updated: 1 }, rescanned: 0, rescanError: 'the scan queue is unavailable' });
  });
});
