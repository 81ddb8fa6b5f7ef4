/**
 * Scan results in the database: storing a finished scan (its packages replaced in one
 * transaction), recording a failure, and the report the API and the CLI show.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { imagePackages, imageScans, imageVulnerabilities, manifests, repositories, scanJobs, vulnerabilities } from '../db/schema.ts';
import { inheritedLayers, viaBase } from '../deps/graph.ts';
import { parseManifest } from '../oci/manifest.ts';
import type { SeverityLevel } from './osv/severity.ts';
import { platformOf } from '../oci/platform.ts';
import { storableText } from './storable-text.ts';
import type { PackageType } from './analysers/types.ts';
import type { ScannedImage, ScannedPackage } from './types.ts';
import { IMAGE_MANIFEST_TYPES } from '../oci/mediatypes.ts';

/** Severities, worst first: the order findings are listed and counted in. */
export const SEVERITIES: readonly SeverityLevel[] = ['critical', 'high', 'medium', 'low', 'unknown'];

/** How a scan stands: queued or running, finished, given up, or never asked for. */
export type ScanStatus = 'pending' | 'done' | 'failed' | 'not scanned';

/** Findings per severity. */
export type SeverityCounts = Record<SeverityLevel, number>;

/** One package of a report. */
export interface ReportPackage {
  type: string;
  name: string;
  version: string;
  sourceName?: string;
  sourceVersion?: string;
  ecosystem?: string;
  purl: string;
  path: string;
  layer?: string;
}

/** One finding of a report: a vulnerability in one installed package. */
export interface ReportVulnerability {
  id: string;
  aliases: string[];
  summary?: string;
  severity: SeverityLevel;
  score?: string;
  package: { name: string; version: string; type: string; ecosystem?: string };
  /** The version matched: the source package's for distribution packages. */
  installedVersion: string;
  fixedVersion?: string;
  layer?: string;
  /**
   * The base image the finding comes with (`repository:tag`, or `repository@digest`), when its
   * layer is one the image shares with its base: fixed by rebuilding on a fixed base.
   */
  via?: string;
}

/** One image of an index, as the index's report lists it. */
export interface ReportChild {
  digest: string;
  platform?: string;
  status: ScanStatus;
  counts: SeverityCounts;
}

/** What the Hub knows of a manifest's scan, ready to be sent as JSON. */
export interface ScanReport {
  digest: string;
  status: ScanStatus;
  error?: string;
  os?: { id: string; versionId?: string; versionCodename?: string; prettyName?: string };
  platform?: string;
  scannedAt?: string;
  /** The vulnerability database version matched against (null: none yet). */
  vulndbVersion: number | null;
  packages: ReportPackage[];
  vulnerabilities: ReportVulnerability[];
  counts: SeverityCounts;
  /** For an index: its images. */
  children?: ReportChild[];
}

const iso = (value: Date | string | null): string | undefined => (value === null ? undefined : new Date(value).toISOString());

/** Only the members that have a value, so the JSON carries no nulls for absent facts. */
function present<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]: Exclude<T[K], null> };
}

/**
 * A finished image scan rebuilt from what was stored, as it is handed on for `repository`: for
 * an image pushed again (to another repository) that needs no new scan. Undefined when the
 * digest has no finished scan or is not an image manifest.
 *
 * @example
 * const image = await storedImage(db, 'prod/app', digest); // { repository: 'prod/app', packages: [...], ... }
 */
export async function storedImage(db: Database, repository: string, digest: string): Promise<ScannedImage | undefined> {
  const [scan] = await db.select().from(imageScans).where(and(eq(imageScans.digest, digest), eq(imageScans.status, 'done')));
  const [manifest] = await db.select({ mediaType: manifests.mediaType }).from(manifests).where(eq(manifests.digest, digest)).limit(1);
  if (!scan || !manifest || !IMAGE_MANIFEST_TYPES.has(manifest.mediaType)) return undefined;
  const rows = await db.select().from(imagePackages).where(eq(imagePackages.digest, digest)).orderBy(imagePackages.id);
  const packages: ScannedPackage[] = rows.map((row) => ({
    type: row.type as PackageType,
    name: row.name,
    version: row.version,
    ...(row.sourceName ? { sourceName: row.sourceName } : {}),
    ...(row.sourceVersion ? { sourceVersion: row.sourceVersion } : {}),
    ...(row.arch ? { arch: row.arch } : {}),
    path: row.path,
    ...(row.licenses ? { licenses: row.licenses } : {}),
    purl: row.purl,
    ...(row.ecosystem ? { ecosystem: row.ecosystem } : {}),
    ...(row.layer ? { layer: row.layer } : {}),
  }));
  return { repository, digest, mediaType: manifest.mediaType, ...(scan.platform ? { platform: scan.platform } : {}), ...(scan.os ? { os: scan.os } : {}), packages };
}

/**
 * Stores a finished image scan: `image_scans` marked done and the image's packages replaced
 * (their findings go with them until the next match), in one transaction.
 *
 * @example
 * await storeScan(db, image);
 */
export async function storeScan(db: Database, image: ScannedImage): Promise<void> {
  await db.transaction(async (tx) => {
    const values = { status: 'done' as const, error: null, os: image.os ?? null, platform: image.platform ?? null, scannedAt: sql`now()` };
    await tx
      .insert(imageScans)
      .values({ digest: image.digest, ...values })
      .onConflictDoUpdate({ target: imageScans.digest, set: values });
    await tx.delete(imagePackages).where(eq(imagePackages.digest, image.digest));
    const rows = image.packages.map((pkg) => ({
      digest: image.digest,
      type: pkg.type,
      ecosystem: pkg.ecosystem ?? null,
      name: pkg.name,
      version: pkg.version,
      sourceName: pkg.sourceName ?? null,
      sourceVersion: pkg.sourceVersion ?? null,
      arch: pkg.arch ?? null,
      purl: pkg.purl,
      path: pkg.path,
      layer: pkg.layer ?? null,
      licenses: pkg.licenses ?? null,
    }));
    for (let start = 0; start < rows.length; start += 500) await tx.insert(imagePackages).values(rows.slice(start, start + 500));
  });
}

/**
 * Records that `digest` is an index, scanned by scanning its images: done, with no packages.
 *
 * @example
 * await storeIndexScan(db, 'sha256:…');
 */
export async function storeIndexScan(db: Database, digest: string): Promise<void> {
  await db.transaction(async (tx) => {
    const values = { status: 'done' as const, error: null, os: null, platform: null, scannedAt: sql`now()` };
    await tx.insert(imageScans).values({ digest, ...values }).onConflictDoUpdate({ target: imageScans.digest, set: values });
    await tx.delete(imagePackages).where(eq(imagePackages.digest, digest));
  });
}

/**
 * Records that the scan of `digest` was given up, and why. Packages of an earlier scan go.
 *
 * @example
 * await markScanFailed(db, 'sha256:…', 'layer sha256:…: an entry name climbs out of the root (../x)');
 */
export async function markScanFailed(db: Database, digest: string, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    const values = { status: 'failed' as const, error: storableText(error), scannedAt: sql`now()` };
    await tx.insert(imageScans).values({ digest, ...values }).onConflictDoUpdate({ target: imageScans.digest, set: values });
    await tx.delete(imagePackages).where(eq(imagePackages.digest, digest));
  });
}

/**
 * Forgets the scan of `digest` once no repository holds that manifest any more.
 *
 * @example
 * await forgetScanIfUnused(db, deletedDigest);
 */
export async function forgetScanIfUnused(db: Database, digest: string): Promise<void> {
  await db.transaction(async (tx) => {
    const held = sql`exists (select 1 from ${manifests} where ${manifests.digest} = ${digest})`;
    await tx.delete(imageScans).where(and(eq(imageScans.digest, digest), sql`not ${held}`));
    await tx.delete(scanJobs).where(and(eq(scanJobs.digest, digest), sql`not ${held}`));
  });
}

function zeroCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

async function statusOf(db: Database, digest: string, row: { status: 'pending' | 'done' | 'failed' } | undefined): Promise<ScanStatus> {
  if (row) return row.status;
  const [job] = await db.select({ id: scanJobs.id }).from(scanJobs).where(eq(scanJobs.digest, digest)).limit(1);
  return job ? 'pending' : 'not scanned';
}

/** The images an index lists, read from the stored index itself. */
async function childrenOf(db: Database, digest: string): Promise<{ digest: string; platform?: string }[] | undefined> {
  const [row] = await db.select({ content: manifests.content, mediaType: manifests.mediaType }).from(manifests).where(eq(manifests.digest, digest)).limit(1);
  if (!row) return undefined;
  try {
    const parsed = parseManifest(new Uint8Array(row.content), row.mediaType);
    if (parsed.kind !== 'index') return undefined;
    return parsed.manifests.map((child) => present({ digest: child.digest, platform: platformOf(child.platform) }));
  } catch {
    return undefined;
  }
}

/** Findings per severity of each of `digests`. */
async function countsOf(db: Database, digests: string[]): Promise<Map<string, SeverityCounts>> {
  const counts = new Map(digests.map((d) => [d, zeroCounts()]));
  if (digests.length === 0) return counts;
  const rows = await db
    .select({ digest: imageVulnerabilities.digest, severity: imageVulnerabilities.severity, count: sql<number>`count(*)::int` })
    .from(imageVulnerabilities)
    .where(inArray(imageVulnerabilities.digest, digests))
    .groupBy(imageVulnerabilities.digest, imageVulnerabilities.severity);
  for (const row of rows) counts.get(row.digest)![row.severity] = Number(row.count);
  return counts;
}

/** The layer digests of the stored image manifest `digest` in `repository`, bottom first. */
async function layersIn(db: Database, repository: string, digest: string): Promise<string[]> {
  const [row] = await db
    .select({ content: manifests.content })
    .from(manifests)
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(and(eq(repositories.name, repository), eq(manifests.digest, digest)));
  if (!row) return [];
  try {
    const doc = JSON.parse(Buffer.from(row.content).toString('utf8')) as { layers?: { digest?: unknown }[] };
    return (doc.layers ?? []).map((layer) => (typeof layer.digest === 'string' ? layer.digest : ''));
  } catch {
    return [];
  }
}

/** Names the base each finding comes with, as seen from `repository` (bases are found per repository). */
async function withBases(db: Database, repository: string, digest: string, found: ReportVulnerability[]): Promise<ReportVulnerability[]> {
  if (!found.some((finding) => finding.layer)) return found;
  const inherited = await inheritedLayers(db, repository, digest);
  if (!inherited) return found;
  return viaBase(found, await layersIn(db, repository, digest), inherited).map(({ viaBase: base, ...finding }) =>
    base ? { ...finding, via: base.tag ? `${base.repository}:${base.tag}` : `${base.repository}@${base.digest}` } : finding,
  );
}

/**
 * The report of the manifest `digest`: its scan's status, packages and findings (worst first,
 * then by id) with counts; for an index, its images with their status and counts. Given the
 * `repository` it is read from, findings that come with the image's base say so (`via`).
 *
 * @example
 * const report = await scanReport(db, 'sha256:…', { repository: 'team/app' });
 * report.counts.critical; // 1
 */
export async function scanReport(db: Database, digest: string, options: { repository?: string } = {}): Promise<ScanReport> {
  const [scan] = await db.select().from(imageScans).where(eq(imageScans.digest, digest));
  const status = await statusOf(db, digest, scan);
  const packageRows = scan ? await db.select().from(imagePackages).where(eq(imagePackages.digest, digest)).orderBy(imagePackages.type, imagePackages.name, imagePackages.version, imagePackages.path) : [];
  const findingRows = scan
    ? await db
        .select({
          id: imageVulnerabilities.vulnerabilityId,
          severity: imageVulnerabilities.severity,
          score: imageVulnerabilities.score,
          fixedVersion: imageVulnerabilities.fixedVersion,
          aliases: vulnerabilities.aliases,
          summary: vulnerabilities.summary,
          packageId: imageVulnerabilities.packageId,
        })
        .from(imageVulnerabilities)
        .leftJoin(vulnerabilities, eq(vulnerabilities.id, imageVulnerabilities.vulnerabilityId))
        .where(eq(imageVulnerabilities.digest, digest))
    : [];
  const packagesById = new Map(packageRows.map((p) => [p.id, p]));
  const counts = zeroCounts();
  const found: ReportVulnerability[] = [];
  for (const row of findingRows) {
    const pkg = packagesById.get(row.packageId);
    if (!pkg) continue;
    counts[row.severity] += 1;
    const matchesSource = pkg.type === 'deb' || pkg.type === 'apk';
    found.push(
      present({
        id: row.id,
        aliases: row.aliases ?? [],
        summary: row.summary,
        severity: row.severity,
        score: row.score,
        package: present({ name: pkg.name, version: pkg.version, type: pkg.type, ecosystem: pkg.ecosystem }),
        installedVersion: matchesSource ? (pkg.sourceVersion ?? pkg.version) : pkg.version,
        fixedVersion: row.fixedVersion,
        layer: pkg.layer,
      }),
    );
  }
  found.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || (a.package.name < b.package.name ? -1 : 1));
  const report: ScanReport = {
    digest,
    status,
    ...present({ error: scan?.error, os: scan?.os, platform: scan?.platform, scannedAt: iso(scan?.scannedAt ?? null) }),
    vulndbVersion: scan?.vulndbVersion ?? null,
    packages: packageRows.map((p) =>
      present({ type: p.type, name: p.name, version: p.version, sourceName: p.sourceName, sourceVersion: p.sourceVersion, ecosystem: p.ecosystem, purl: p.purl, path: p.path, layer: p.layer }),
    ),
    vulnerabilities: options.repository ? await withBases(db, options.repository, digest, found) : found,
    counts,
  };
  const children = await childrenOf(db, digest);
  if (children) {
    const digests = children.map((c) => c.digest);
    const scans = digests.length === 0 ? [] : await db.select({ digest: imageScans.digest, status: imageScans.status }).from(imageScans).where(inArray(imageScans.digest, digests));
    const statuses = new Map(scans.map((s) => [s.digest, s.status]));
    const childCounts = await countsOf(db, digests);
    report.children = [];
    for (const child of children) {
      report.children.push({ ...child, status: await statusOf(db, child.digest, statuses.has(child.digest) ? { status: statuses.get(child.digest)! } : undefined), counts: childCounts.get(child.digest) ?? zeroCounts() });
    }
  }
  return report;
}
