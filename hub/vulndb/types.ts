/**
 * The shapes and limits of the vulnerability database's API, shared by the Hub (hub/api/vulndb.ts)
 * and its client (hub/client/vulndb.ts).
 */

/** What one batch, or a whole import, did with the records it was given. */
export interface VulndbCounts {
  /** Records the database did not hold. */
  added: number;
  /** Records replaced by a copy with a later `modified`. */
  updated: number;
  /** Records stored (added or replaced) with `withdrawn` set: matching ignores them. */
  withdrawn: number;
  /** Records not newer than the stored copy, left as they were. */
  skipped: number;
}

/** The counts of a whole import: also the lines that were not OSV records. */
export interface ImportCounts extends VulndbCounts {
  rejected: number;
}

/** A line of an import that was not taken, and why. */
export interface RejectedLine {
  /** The line's number in the request body, from 1. */
  line: number;
  /** The record's id, when the line got as far as naming one. */
  id?: string;
  reason: string;
}

/** `POST /api/v1/vulndb/import` */
export interface ImportResult {
  /** The import's id (a `vulndb_imports` row). */
  import: number;
  /** The database version after it: the id of the latest finished import. */
  version: number | null;
  counts: ImportCounts;
  /** The first rejected lines (at most {@link MAX_REPORTED_REJECTIONS}); `counts.rejected` has them all. */
  rejected: RejectedLine[];
  /** Images whose findings are to be matched again because records they may name changed. */
  rescanned: number;
  /** Why asking for those images to be matched again failed; the records are stored all the same. */
  rescanError?: string;
}

/** The largest record (one NDJSON line) an import takes: the largest OSV records are a few hundred KiB. */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

/** How many rejected lines an import answer lists. */
export const MAX_REPORTED_REJECTIONS = 20;

/** One finished import, as `GET /api/v1/vulndb` reports the latest. */
export interface VulndbImport {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  importedBy: string;
  source: string | null;
  counts: Record<string, number> | null;
}

/** `GET /api/v1/vulndb` */
export interface VulndbStatus {
  /** The id of the latest finished import; null before the first. */
  version: number | null;
  /** Records held, withdrawn ones included. */
  records: number;
  withdrawn: number;
  /** Records in force (not withdrawn) naming each ecosystem, as records spell it (`Debian:12`). */
  ecosystems: { ecosystem: string; records: number }[];
  lastImport: VulndbImport | null;
}
