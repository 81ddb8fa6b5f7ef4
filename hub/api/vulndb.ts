/**
 * `/api/v1/vulndb`: the Hub's offline vulnerability database. Administrators import OSV records
 * as NDJSON (one record a line), read as the body arrives and stored in batches, so that an
 * export of any size needs the memory of one batch; any logged-in account reads its status.
 */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import { OsvRecordError, parseOsvRecord, type OsvRecord } from '../scanning/osv/record.ts';
import { ndjsonLines } from '../vulndb/ndjson.ts';
import { checkRecordTimes, type VulnerabilityDatabase } from '../vulndb/store.ts';
import { MAX_RECORD_BYTES, MAX_REPORTED_REJECTIONS, type ImportCounts, type ImportResult, type RejectedLine } from '../vulndb/types.ts';
import { recordAction } from './audit-trail.ts';

/** Records stored per transaction. */
const BATCH_SIZE = 500;
/** Media types an import body may be sent as; NDJSON by any of its names, or none. */
const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json', 'text/plain'];
const MAX_SOURCE_LENGTH = 200;
/** Imports `GET /api/v1/vulndb/imports` lists by default, and at most. */
const DEFAULT_IMPORTS_LISTED = 20;
const MAX_IMPORTS_LISTED = 200;

export interface VulndbRouteOptions {
  /**
   * Called once an import has finished with the ids of the records it added, updated or
   * withdrawn; resolves to the number of images whose findings will be matched again.
   */
  onImported?: (changedIds: string[]) => Promise<number>;
  /** For tests: a smaller line cap or batch. */
  maxLineBytes?: number;
  batchSize?: number;
}

/** The id a line names, when it is an object with a string `id`: for reports on records refused. */
function idOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const id = (json as Record<string, unknown>).id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * One line as a record, or why it is not one.
 *
 * @example
 * parseImportLine('{"id":"X-1","modified":"2024-01-01T00:00:00Z"}'); // { record: { id: 'X-1', … } }
 * parseImportLine('{"id":"X-1"}'); // { id: 'X-1', reason: 'X-1: modified is missing' }
 */
export function parseImportLine(text: string): { record: OsvRecord } | { id?: string; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const id = idOf(json);
  try {
    const record = parseOsvRecord(json, id ?? 'record');
    checkRecordTimes(record);
    return { record };
  } catch (err) {
    if (!(err instanceof OsvRecordError)) throw err;
    return { ...(id === undefined ? {} : { id }), reason: err.message };
  }
}

function checkContentType(header: string | undefined): void {
  if (header === undefined) return;
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || NDJSON_TYPES.includes(type)) return;
  const hint = type === 'application/zip' ? ': unpack OSV exports with nocker hub vulndb import, which sends their records as NDJSON' : '';
  throw new OciError('UNSUPPORTED', `an import is OSV records as NDJSON (application/x-ndjson), one record a line, not ${type}${hint}`);
}

/**
 * @example
 * app.route('/', vulndbRoutes(access, createVulnerabilityDatabase(db), { onImported: (ids) => scans.rematchAffected(ids) }));
 */
export function vulndbRoutes(access: AccessControl, vulndb: VulnerabilityDatabase, options: VulndbRouteOptions = {}): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const maxLineBytes = options.maxLineBytes ?? MAX_RECORD_BYTES;
  const batchSize = options.batchSize ?? BATCH_SIZE;

  app.get('/api/v1/vulndb', async (c) => {
    await c.var.auth.requireAccount();
    return c.json(await vulndb.status());
  });

  // The import history, newest first: what the database was built from, by whom and when.
  app.get('/api/v1/vulndb/imports', async (c) => {
    await c.var.auth.requireAccount();
    const raw = c.req.query('limit');
    const limit = raw === undefined || raw === '' ? DEFAULT_IMPORTS_LISTED : Number(raw);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_IMPORTS_LISTED) throw new OciError('PAGINATION_NUMBER_INVALID', `limit must be a whole number from 1 to ${MAX_IMPORTS_LISTED}`);
    return c.json({ imports: await vulndb.imports(limit) });
  });

  app.post('/api/v1/vulndb/import', async (c) => {
    const admin = await c.var.auth.requireAdmin();
    checkContentType(c.req.header('content-type'));
    const source = c.req.query('source') || undefined;
    if (source !== undefined && source.length > MAX_SOURCE_LENGTH) throw new OciError('REQUEST_INVALID', `source must be at most ${MAX_SOURCE_LENGTH} characters`);
    const body = c.req.raw.body;
    const empty = () => new OciError('REQUEST_INVALID', 'the request body holds no records: send OSV records as NDJSON, one JSON record a line');
    if (!body) throw empty();

    const counts: ImportCounts = { added: 0, updated: 0, withdrawn: 0, skipped: 0, rejected: 0 };
    const rejected: RejectedLine[] = [];
    const changedIds: string[] = [];
    let importId: number | undefined;
    let batch: OsvRecord[] = [];

    // The import is opened by the first line, so that an empty body leaves no trace.
    const opened = async () => (importId ??= await vulndb.beginImport(admin.name, source));
    const reject = (line: RejectedLine) => {
      counts.rejected += 1;
      if (rejected.length < MAX_REPORTED_REJECTIONS) rejected.push(line);
    };
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await vulndb.upsert(await opened(), batch);
      batch = [];
      counts.added += result.added;
      counts.updated += result.updated;
      counts.withdrawn += result.withdrawn;
      counts.skipped += result.skipped;
      changedIds.push(...result.changedIds);
    };
    const rematch = async (): Promise<{ rescanned: number; rescanError?: string }> => {
      if (!options.onImported || changedIds.length === 0) return { rescanned: 0 };
      try {
        return { rescanned: await options.onImported(changedIds) };
      } catch (err) {
        // The records are stored whatever happens here: say so rather than fail the import.
        return { rescanned: 0, rescanError: err instanceof Error ? err.message : String(err) };
      }
    };

    try {
      for await (const line of ndjsonLines(body, maxLineBytes)) {
        await opened();
        if ('tooLong' in line) {
          reject({ line: line.number, reason: `the line is ${line.bytes} bytes long; a record may take at most ${maxLineBytes}` });
        } else if ('notUtf8' in line) {
          reject({ line: line.number, reason: 'the line is not UTF-8 text' });
        } else {
          const parsed = parseImportLine(line.text);
          if ('record' in parsed) batch.push(parsed.record);
          else reject({ line: line.number, ...parsed });
          if (batch.length >= batchSize) await flush();
        }
      }
      await flush();
    } catch (err) {
      // What landed before the failure stays: close the import so that it counts, and have
      // the images it touches matched again.
      if (importId !== undefined) {
        await vulndb.finishImport(importId, counts).catch(() => undefined);
        await rematch();
      }
      throw err;
    }
    if (importId === undefined) throw empty();

    await vulndb.finishImport(importId, counts);
    const { rescanned, rescanError } = await rematch();
    const result: ImportResult = { import: importId, version: await vulndb.version(), counts, rejected, rescanned, ...(rescanError === undefined ? {} : { rescanError }) };
    recordAction(access, c, 'vulndb.import', { import: importId, source: source ?? null, counts, rescanned });
    return c.json(result);
  });

  return app;
}
