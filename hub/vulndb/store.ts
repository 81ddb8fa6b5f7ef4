/**
 * The Hub's offline vulnerability database: OSV records as imported, indexed by the packages
 * they name under the one lookup key the matcher uses. Records arrive in batches, each written
 * with a few multi-row statements in one transaction, so that an export of a hundred thousand
 * records loads in seconds rather than one round trip per record.
 */
import { desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/open.ts';
import { vulndbImports, vulnerabilities, vulnerabilityPackages } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { vulnerabilityLookupKey } from '../scanning/osv/lookup.ts';
import { OsvRecordError, type OsvRecord } from '../scanning/osv/record.ts';
import { recordSeverity } from '../scanning/osv/severity.ts';
import type { ImportCounts, VulndbCounts, VulndbImport, VulndbStatus } from './types.ts';

export type { ImportCounts, VulndbCounts, VulndbImport, VulndbStatus } from './types.ts';

/** What {@link VulnerabilityDatabase.upsert} did with one batch. */
export interface UpsertResult extends VulndbCounts {
  /** The ids added, updated or withdrawn: the records whose matches may have changed. */
  changedIds: string[];
}

export interface VulnerabilityDatabase {
  /** Opens an import (a `vulndb_imports` row) by `actor`; resolves to its id. */
  beginImport(actor: string, source?: string): Promise<number>;
  /**
   * Stores a batch in one transaction: a new record is added, a known one replaced only by a
   * copy with a later `modified`. Throws an OsvRecordError, before writing anything, for a
   * record whose times are not dates (see {@link checkRecordTimes}).
   */
  upsert(importId: number, records: OsvRecord[]): Promise<UpsertResult>;
  /** Closes the import: from now on its id is the database version. */
  finishImport(importId: number, counts: ImportCounts): Promise<void>;
  /** The id of the latest finished import; null before the first. */
  version(): Promise<number | null>;
  status(): Promise<VulndbStatus>;
  /** The imports, newest first (unfinished ones too: `finishedAt` is null while one runs or after it broke off). */
  imports(limit: number): Promise<VulndbImport[]>;
}

/** Rows per multi-row insert of package index rows (four parameters each, far below PostgreSQL's 65535). */
const PACKAGE_ROWS_PER_INSERT = 5000;

/** A record ready to store: its times as dates, severity and index rows worked out. */
interface Prepared {
  record: OsvRecord;
  modified: Date;
  withdrawn: Date | null;
}

function time(record: OsvRecord, field: 'modified' | 'withdrawn', value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new OsvRecordError(record.id, field, `is "${value}", not an RFC 3339 date and time`);
  return date;
}

/**
 * Checks that `modified` (and `withdrawn`, when set) are dates and times: the database orders
 * copies of a record by them. Throws an OsvRecordError naming the record and the field.
 *
 * @example
 * checkRecordTimes(parseOsvRecord({ id: 'X-1', modified: 'yesterday' })); // throws: X-1: modified is "yesterday", …
 */
export function checkRecordTimes(record: OsvRecord): void {
  prepare(record);
}

function prepare(record: OsvRecord): Prepared {
  return {
    record,
    modified: time(record, 'modified', record.modified),
    withdrawn: record.withdrawn === undefined ? null : time(record, 'withdrawn', record.withdrawn),
  };
}

/**
 * The index rows of a record: one per distinct package it names, keyed as the matcher looks
 * records up. Withdrawn records keep theirs, so that the images they were found in can be found
 * and matched again.
 */
function packageRows(record: OsvRecord) {
  const rows = new Map<string, typeof vulnerabilityPackages.$inferInsert>();
  for (const { package: pkg } of record.affected) {
    if (!pkg) continue;
    const key = vulnerabilityLookupKey(pkg.ecosystem, pkg.name);
    rows.set(`${pkg.ecosystem}\0${key.name}`, { vulnerabilityId: record.id, ecosystem: pkg.ecosystem, ecosystemBase: key.ecosystemBase, name: key.name });
  }
  return [...rows.values()];
}

function row({ record, modified, withdrawn }: Prepared, importId: number): typeof vulnerabilities.$inferInsert {
  const severity = recordSeverity(record);
  return {
    id: record.id,
    modified,
    withdrawn,
    aliases: record.aliases,
    summary: record.summary ?? null,
    severity: severity.level,
    score: severity.score === undefined ? null : severity.score.toFixed(1),
    record: record as unknown as Record<string, unknown>,
    importId,
  };
}

/** Of several copies of one id in a batch, the latest counts; the others are skipped. */
function latestCopies(records: Prepared[]): { latest: Prepared[]; duplicates: number } {
  const byId = new Map<string, Prepared>();
  for (const prepared of records) {
    const known = byId.get(prepared.record.id);
    if (!known || prepared.modified > known.modified) byId.set(prepared.record.id, prepared);
  }
  return { latest: [...byId.values()], duplicates: records.length - byId.size };
}

/** Writes the index rows of `records`, first removing those of `replaced` (ids stored before). */
async function replacePackageRows(tx: Transaction, records: OsvRecord[], replaced: string[]): Promise<void> {
  if (replaced.length > 0) await tx.delete(vulnerabilityPackages).where(inArray(vulnerabilityPackages.vulnerabilityId, replaced));
  const rows = records.flatMap(packageRows);
  for (let start = 0; start < rows.length; start += PACKAGE_ROWS_PER_INSERT) {
    await tx.insert(vulnerabilityPackages).values(rows.slice(start, start + PACKAGE_ROWS_PER_INSERT)).onConflictDoNothing();
  }
}

const presentImport = (row: typeof vulndbImports.$inferSelect): VulndbImport => ({
  id: row.id,
  startedAt: row.startedAt.toISOString(),
  finishedAt: row.finishedAt?.toISOString() ?? null,
  importedBy: row.importedBy,
  source: row.source,
  counts: row.counts,
});

/**
 * @example
 * const vulndb = createVulnerabilityDatabase(db);
 * const id = await vulndb.beginImport('admin', 'debian-all.zip');
 * const batch = await vulndb.upsert(id, records); // { added: 500, updated: 0, withdrawn: 0, skipped: 0, changedIds: […] }
 * await vulndb.finishImport(id, { ...batch, rejected: 0 });
 * (await vulndb.status()).version; // id
 */
export function createVulnerabilityDatabase(db: Database): VulnerabilityDatabase {
  const version = async (): Promise<number | null> => {
    const [latest] = await db.select({ id: sql<number | null>`max(${vulndbImports.id})` }).from(vulndbImports).where(isNotNull(vulndbImports.finishedAt));
    return latest?.id ?? null;
  };

  return {
    async beginImport(actor, source) {
      const [created] = await db.insert(vulndbImports).values({ importedBy: actor, source: source ?? null }).returning({ id: vulndbImports.id });
      if (!created) throw new OciError('INTERNAL', 'the vulnerability database import was not recorded');
      return created.id;
    },

    async upsert(importId, records) {
      const { latest, duplicates } = latestCopies(records.map(prepare));
      const result: UpsertResult = { added: 0, updated: 0, withdrawn: 0, skipped: duplicates, changedIds: [] };
      if (latest.length === 0) return result;

      await db.transaction(async (tx) => {
        const known = await tx
          .select({ id: vulnerabilities.id, modified: vulnerabilities.modified })
          .from(vulnerabilities)
          .where(inArray(vulnerabilities.id, latest.map((p) => p.record.id)));
        const stored = new Map(known.map((r) => [r.id, r.modified]));
        // Copies not newer than the stored one are not even sent; the statement checks again,
        // for an import running beside this one.
        const newer = latest.filter((p) => {
          const storedModified = stored.get(p.record.id);
          return storedModified === undefined || p.modified > storedModified;
        });
        result.skipped += latest.length - newer.length;
        if (newer.length === 0) return;

        const written = await tx
          .insert(vulnerabilities)
          .values(newer.map((p) => row(p, importId)))
          .onConflictDoUpdate({
            target: vulnerabilities.id,
            set: {
              modified: sql`excluded.modified`,
              withdrawn: sql`excluded.withdrawn`,
              aliases: sql`excluded.aliases`,
              summary: sql`excluded.summary`,
              severity: sql`excluded.severity`,
              score: sql`excluded.score`,
              record: sql`excluded.record`,
              importId: sql`excluded.import_id`,
            },
            setWhere: sql`excluded.modified > vulnerabilities.modified`,
          })
          .returning({ id: vulnerabilities.id });
        const writtenIds = new Set(written.map((w) => w.id));
        const changed = newer.filter((p) => writtenIds.has(p.record.id));
        result.skipped += newer.length - changed.length;
        for (const p of changed) {
          if (p.withdrawn) result.withdrawn += 1;
          else if (stored.has(p.record.id)) result.updated += 1;
          else result.added += 1;
          result.changedIds.push(p.record.id);
        }
        await replacePackageRows(
          tx,
          changed.map((p) => p.record),
          changed.filter((p) => stored.has(p.record.id)).map((p) => p.record.id),
        );
      });
      return result;
    },

    async finishImport(importId, counts) {
      const { added, updated, withdrawn, skipped, rejected } = counts;
      await db.update(vulndbImports).set({ finishedAt: sql`now()`, counts: { added, updated, withdrawn, skipped, rejected } }).where(eq(vulndbImports.id, importId));
    },

    version,

    async status() {
      const [totals] = await db.select({ records: sql<number>`count(*)::int`, withdrawn: sql<number>`count(${vulnerabilities.withdrawn})::int` }).from(vulnerabilities);
      const ecosystems = await db
        .select({ ecosystem: vulnerabilityPackages.ecosystem, records: sql<number>`count(distinct ${vulnerabilityPackages.vulnerabilityId})::int` })
        .from(vulnerabilityPackages)
        .innerJoin(vulnerabilities, eq(vulnerabilities.id, vulnerabilityPackages.vulnerabilityId))
        .where(sql`${vulnerabilities.withdrawn} is null`)
        .groupBy(vulnerabilityPackages.ecosystem)
        .orderBy(vulnerabilityPackages.ecosystem);
      const [last] = await db.select().from(vulndbImports).where(isNotNull(vulndbImports.finishedAt)).orderBy(desc(vulndbImports.id)).limit(1);
      return {
        version: last?.id ?? null,
        records: totals?.records ?? 0,
        withdrawn: totals?.withdrawn ?? 0,
        ecosystems,
        lastImport: last ? presentImport(last) : null,
      };
    },

    async imports(limit) {
      const rows = await db.select().from(vulndbImports).orderBy(desc(vulndbImports.id)).limit(limit);
      return rows.map(presentImport);
    },
  };
}
