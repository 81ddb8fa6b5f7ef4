/**
 * Matches an image's stored packages against the vulnerability database: candidates are found
 * by the one lookup key records are indexed under, each candidate record is then evaluated with
 * the ecosystem's version order, and the image's findings are replaced in one transaction.
 */
import { and, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { imagePackages, imageScans, imageVulnerabilities, vulndbImports, vulnerabilities, vulnerabilityPackages } from '../db/schema.ts';
import { matchableEcosystem, matchedAs } from './ecosystem.ts';
import { vulnerabilityLookupKey } from './osv/lookup.ts';
import { isAffected } from './osv/match.ts';
import { OsvRecordError, parseOsvRecord, type OsvRecord } from './osv/record.ts';
import type { SeverityLevel } from './osv/severity.ts';
import { InvalidVersionError, versionComparator } from './versions/index.ts';

/** Lookup keys per query: enough to keep round trips few, few enough for any parameter limit. */
const KEYS_PER_QUERY = 200;

interface Candidate {
  id: string;
  record: OsvRecord;
  severity: SeverityLevel;
  score: string | null;
}

/** One finding, as stored in `image_vulnerabilities`. */
export interface Finding {
  vulnerabilityId: string;
  packageId: number;
  severity: SeverityLevel;
  score: string | null;
  fixedVersion: string | null;
}

const keyOf = (base: string, name: string) => `${base}\0${name}`;

/** The record with Ubuntu's `:LTS` releases written as images name them. */
function matchable(record: OsvRecord): OsvRecord {
  return {
    ...record,
    affected: record.affected.map((entry) => (entry.package ? { ...entry, package: { ...entry.package, ecosystem: matchableEcosystem(entry.package.ecosystem) } } : entry)),
  };
}

/** Every record, not withdrawn, indexed under one of `keys`, by key. */
async function candidatesFor(db: Database, keys: { ecosystemBase: string; name: string }[]): Promise<Map<string, Candidate[]>> {
  const byKey = new Map<string, Candidate[]>();
  const parsed = new Map<string, Candidate | null>();
  for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
    const chunk = keys.slice(start, start + KEYS_PER_QUERY);
    const rows = await db
      .select({
        id: vulnerabilities.id,
        base: vulnerabilityPackages.ecosystemBase,
        name: vulnerabilityPackages.name,
        record: vulnerabilities.record,
        severity: vulnerabilities.severity,
        score: vulnerabilities.score,
      })
      .from(vulnerabilityPackages)
      .innerJoin(vulnerabilities, eq(vulnerabilities.id, vulnerabilityPackages.vulnerabilityId))
      .where(
        and(
          isNull(vulnerabilities.withdrawn),
          sql`(${vulnerabilityPackages.ecosystemBase}, ${vulnerabilityPackages.name}) in (${sql.join(
            chunk.map((key) => sql`(${key.ecosystemBase}, ${key.name})`),
            sql`, `,
          )})`,
        ),
      );
    for (const row of rows) {
      if (!parsed.has(row.id)) {
        try {
          parsed.set(row.id, { id: row.id, record: matchable(parseOsvRecord(row.record, row.id)), severity: row.severity, score: row.score });
        } catch (err) {
          if (!(err instanceof OsvRecordError)) throw err;
          // A stored record the parser refuses matches nothing; the rest of the scan goes on.
          parsed.set(row.id, null);
          console.error(JSON.stringify({ level: 'warn', msg: 'vulnerability record not readable', id: row.id, error: err.message }));
        }
      }
      const candidate = parsed.get(row.id);
      if (!candidate) continue;
      const key = keyOf(row.base, row.name);
      const list = byKey.get(key) ?? [];
      if (!list.some((c) => c.id === candidate.id)) list.push(candidate);
      byKey.set(key, list);
    }
  }
  return byKey;
}

/**
 * The findings for packages as stored: each package with an ecosystem against the records
 * indexed under its lookup key. A version either side cannot read skips that one pair.
 *
 * @example
 * const findings = await findVulnerabilities(db, await db.select().from(imagePackages).where(eq(imagePackages.digest, digest)));
 */
export async function findVulnerabilities(
  db: Database,
  packages: readonly { id: number; type: string; ecosystem: string | null; name: string; version: string; sourceName: string | null; sourceVersion: string | null }[],
): Promise<Finding[]> {
  const wanted = packages.flatMap((pkg) => {
    if (!pkg.ecosystem) return [];
    const compare = versionComparator(pkg.ecosystem);
    if (!compare) return [];
    const { name, version } = matchedAs(pkg);
    return [{ pkg, ecosystem: pkg.ecosystem, name, version, compare, key: vulnerabilityLookupKey(pkg.ecosystem, name) }];
  });
  const keys = [...new Map(wanted.map((w) => [keyOf(w.key.ecosystemBase, w.key.name), w.key])).values()];
  const candidates = keys.length === 0 ? new Map<string, Candidate[]>() : await candidatesFor(db, keys);
  const findings: Finding[] = [];
  for (const w of wanted) {
    for (const candidate of candidates.get(keyOf(w.key.ecosystemBase, w.key.name)) ?? []) {
      let verdict;
      try {
        verdict = isAffected(candidate.record, w.ecosystem, w.name, w.version, w.compare);
      } catch (err) {
        if (err instanceof InvalidVersionError) continue;
        throw err;
      }
      if (!verdict.affected) continue;
      findings.push({ vulnerabilityId: candidate.id, packageId: w.pkg.id, severity: candidate.severity, score: candidate.score, fixedVersion: verdict.fixed ?? null });
    }
  }
  return findings;
}

/**
 * The vulnerability database version: the id of the latest finished import, or null before any.
 *
 * @example
 * await vulndbVersion(db); // 3
 */
export async function vulndbVersion(db: Database): Promise<number | null> {
  const [row] = await db.select({ id: vulndbImports.id }).from(vulndbImports).where(isNotNull(vulndbImports.finishedAt)).orderBy(desc(vulndbImports.id)).limit(1);
  return row?.id ?? null;
}

/**
 * Matches the stored packages of `digest` again and replaces its findings, recording the
 * database version matched against. Resolves to the number of findings.
 *
 * @example
 * await matchImage(db, 'sha256:…'); // 2
 */
export async function matchImage(db: Database, digest: string): Promise<number> {
  const version = await vulndbVersion(db);
  const packages = await db.select().from(imagePackages).where(eq(imagePackages.digest, digest));
  const findings = await findVulnerabilities(db, packages);
  await db.transaction(async (tx) => {
    await tx.delete(imageVulnerabilities).where(eq(imageVulnerabilities.digest, digest));
    for (let start = 0; start < findings.length; start += 500) {
      await tx
        .insert(imageVulnerabilities)
        .values(findings.slice(start, start + 500).map((f) => ({ digest, ...f })))
        .onConflictDoNothing();
    }
    await tx.update(imageScans).set({ vulndbVersion: version, matchedAt: sql`now()` }).where(eq(imageScans.digest, digest));
  });
  return findings.length;
}
