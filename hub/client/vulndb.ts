/**
 * The Hub's vulnerability database over `/api/v1/vulndb`: importing OSV records, streamed one
 * JSON record a line so that an export of any size is never held in memory, and its status.
 */
import type { ImportResult, VulndbImport, VulndbStatus } from '../vulndb/types.ts';
import type { HubClient } from './client.ts';
import { errorFromResponse } from './errors.ts';

export { MAX_RECORD_BYTES, type ImportCounts, type ImportResult, type RejectedLine, type VulndbImport, type VulndbStatus } from '../vulndb/types.ts';

/** The token scope of `/api/v1` (a bearer token needs it; Basic credentials do not). */
const API_SCOPE = 'registry:api:*';
/** Lines are sent in chunks of about this size rather than one write each. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Sends `lines` (each one OSV record as JSON, without a newline) to the Hub as one NDJSON
 * import, as they are produced. Resolves to the Hub's report; rejects with the Hub's error, or
 * with the error `lines` threw (the request is then abandoned).
 *
 * @example
 * const result = await importVulnerabilities(client, linesOf('osv/all.zip'), 'all.zip');
 * result.counts; // { added: 1200, updated: 30, withdrawn: 4, skipped: 0, rejected: 0 }
 */
export async function importVulnerabilities(client: HubClient, lines: AsyncIterable<string>, source?: string): Promise<ImportResult> {
  let failure: { error: unknown } | undefined;
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        let chunk = '';
        while (chunk.length < CHUNK_BYTES) {
          const next = await iterator.next();
          if (next.done) {
            if (chunk !== '') controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${next.value}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      } catch (error) {
        // Kept, so that the caller learns what went wrong here rather than a network error.
        failure = { error };
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const path = `/api/v1/vulndb/import${source ? `?source=${encodeURIComponent(source)}` : ''}`;
  let res: Response;
  try {
    res = await client.v2('POST', path, { body, scope: API_SCOPE, headers: { 'Content-Type': 'application/x-ndjson', Accept: 'application/json' } });
  } catch (err) {
    if (failure) throw failure.error;
    throw err;
  }
  if (failure) {
    await res.body?.cancel();
    throw failure.error;
  }
  if (!res.ok) throw await errorFromResponse(res, `POST ${path}`);
  return (await res.json()) as ImportResult;
}

/**
 * @example
 * const status = await fetchVulndbStatus(client);
 * status.version; // 3, or null before the first import
 */
export function fetchVulndbStatus(client: HubClient): Promise<VulndbStatus> {
  return client.api('GET', '/api/v1/vulndb');
}

/**
 * The vulnerability database's import history, newest first (at most `limit`, default 20).
 *
 * @example
 * const imports = await fetchVulndbImports(client, 10);
 * imports[0]?.importedBy; // 'admin'
 */
export async function fetchVulndbImports(client: HubClient, limit?: number): Promise<VulndbImport[]> {
  const query = limit === undefined ? '' : `?limit=${limit}`;
  return (await client.api<{ imports: VulndbImport[] }>('GET', `/api/v1/vulndb/imports${query}`)).imports;
}
