/**
 * Tag rows made into {@link TagSummary}s: what each tag points at (kind, platforms, size) and
 * what the Hub knows about it (signatures, scans, SBOMs). Everything is looked up for the given
 * rows only — a page, or the latest tag of each repository on a page — one query per kind of
 * fact for all of them, so a page costs the same few queries whatever the repository holds.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { BUNDLE_MEDIA_TYPE } from '../../engine/sign/bundle.ts';
import { signatureStatus } from '../../engine/sign/checked.ts';
import { COSIGN_SIGNATURE_ARTIFACT_TYPE } from '../../engine/sign/oci.ts';
import type { SignatureSummary, TagSummary, VulnerabilitySummary } from '../client/catalog.ts';
import type { Database } from '../db/open.ts';
import { imageScans, imageVulnerabilities, manifests, scanJobs, tags } from '../db/schema.ts';
import { parseManifest, type Descriptor, type ParsedManifest } from '../oci/manifest.ts';
import { INDEX_TYPES } from '../oci/mediatypes.ts';
import { readAtMost } from '../oci/read-at-most.ts';
import { evaluateSignatures } from '../policy/gate.ts';
import { DEFAULT_ENVIRONMENT, type TrustPolicy, type TrustPolicyLookup } from '../policy/types.ts';
import type { Registry } from '../registry/registry.ts';
import { isArtifact } from '../scanning/scan-image.ts';
import { isAttestationEntry, platformOf } from '../oci/platform.ts';
import type { SeverityCounts } from '../scanning/results.ts';
import { manifestSizes } from './sizes.ts';
import { SbomMediaType } from '../scanning/sbom/media-types.ts';

/** What the catalog services read from. */
export interface CatalogBackends {
  db: Database;
  registry: Registry;
  /** Trust policies: a tag's signatures are judged under its namespace's production policy. */
  policies: TrustPolicyLookup;
}

/** One tag to describe, as the listing queries find it. */
export interface TagRow {
  repositoryId: number;
  repository: string;
  tag: string;
  pushedAt: Date;
  manifestId: number;
}

/** The artifact types of the SBOMs the Hub (or a build) attaches as referrers. */
export const SBOM_ARTIFACT_TYPES: string[] = Object.values(SbomMediaType);
/** Image configs are small; a larger one is not read for its platform. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Signature checks (and config reads) running at once for one request. */
const CONCURRENCY = 8;

/**
 * Runs `work` over `items`, at most `limit` at a time, keeping their order.
 *
 * @example
 * const sizes = await mapLimited(digests, 8, (digest) => statOf(digest));
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A stored manifest with what parsing it told. */
interface ManifestFacts {
  id: number;
  repositoryId: number;
  digest: string;
  mediaType: string;
  /** The column: `artifactType`, else the config media type of an image manifest. */
  artifactType: string | null;
  parsed: ParsedManifest | undefined;
  type: TagSummary['type'];
  /** Index children, as listed (platform attestation entries included). */
  children: Descriptor[];
}

function typeOf(mediaType: string, parsed: ParsedManifest | undefined): TagSummary['type'] {
  if (INDEX_TYPES.has(mediaType)) return 'index';
  // The config is the first blob of an image manifest (see parseManifest).
  if (!parsed || isArtifact(parsed, parsed.blobs[0])) return 'artifact';
  return 'image';
}

async function loadManifests(db: Database, ids: number[]): Promise<Map<number, ManifestFacts>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: manifests.id, repositoryId: manifests.repositoryId, digest: manifests.digest, mediaType: manifests.mediaType, artifactType: manifests.artifactType, content: manifests.content })
    .from(manifests)
    .where(inArray(manifests.id, ids));
  const facts = new Map<number, ManifestFacts>();
  for (const row of rows) {
    let parsed: ParsedManifest | undefined;
    try {
      parsed = parseManifest(new Uint8Array(row.content), row.mediaType);
    } catch {
      // Stored manifests were valid when pushed; one that no longer parses is shown as an artifact.
      parsed = undefined;
    }
    facts.set(row.id, { ...row, parsed, type: typeOf(row.mediaType, parsed), children: parsed?.kind === 'index' ? parsed.manifests : [] });
  }
  return facts;
}

/** `os/arch[/variant]` of each image config digest, read (bounded) from the blob store. */
async function configPlatforms(registry: Registry, configs: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  await mapLimited(configs, CONCURRENCY, async (digest) => {
    try {
      const bytes = await readAtMost(await registry.blobs.read(digest), MAX_CONFIG_BYTES);
      if (!bytes) return;
      const platform = platformOf(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
      if (platform) found.set(digest, platform);
    } catch {
      // An unreadable config only means no platform is shown.
    }
  });
  return found;
}

/**
 * Platforms of images: the scanner stores each scanned image's platform (from its config), so
 * only images not scanned yet have their config read here.
 */
async function imagePlatforms(db: Database, registry: Registry, images: ManifestFacts[]): Promise<Map<string, string>> {
  const digests = [...new Set(images.map((m) => m.digest))];
  const platforms = new Map<string, string>();
  if (digests.length === 0) return platforms;
  const scanned = await db.select({ digest: imageScans.digest, platform: imageScans.platform }).from(imageScans).where(inArray(imageScans.digest, digests));
  for (const row of scanned) if (row.platform) platforms.set(row.digest, row.platform);
  const configOf = new Map<string, string>();
  for (const image of images) {
    const config = image.parsed?.blobs[0]?.digest;
    if (config && !platforms.has(image.digest)) configOf.set(image.digest, config);
  }
  const fromConfigs = await configPlatforms(registry, [...new Set(configOf.values())]);
  for (const [digest, config] of configOf) {
    const platform = fromConfigs.get(config);
    if (platform) platforms.set(digest, platform);
  }
  return platforms;
}

/** Attestation entries of an index (buildx lists them as `unknown/unknown`): not images, never scanned. */

/** An index's platforms, from its own list; attestation entries are not platforms. */
function indexPlatforms(children: Descriptor[]): string[] {
  const platforms = children.filter((child) => !isAttestationEntry(child)).map((child) => platformOf(child.platform)).filter((p): p is string => p !== undefined);
  return [...new Set(platforms)];
}

const zeroCounts = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });

/** The scan summary of each image digest that has a scan or a queued scan job. */
async function scanSummaries(db: Database, digests: string[]): Promise<Map<string, VulnerabilitySummary>> {
  const summaries = new Map<string, VulnerabilitySummary>();
  if (digests.length === 0) return summaries;
  const scans = await db.select({ digest: imageScans.digest, status: imageScans.status }).from(imageScans).where(inArray(imageScans.digest, digests));
  for (const scan of scans) summaries.set(scan.digest, { status: scan.status, counts: zeroCounts() });
  const counted = await db
    .select({ digest: imageVulnerabilities.digest, severity: imageVulnerabilities.severity, count: sql<number>`count(*)::int`.mapWith(Number) })
    .from(imageVulnerabilities)
    .where(inArray(imageVulnerabilities.digest, digests))
    .groupBy(imageVulnerabilities.digest, imageVulnerabilities.severity);
  for (const row of counted) {
    const summary = summaries.get(row.digest);
    if (summary) summary.counts[row.severity] = row.count;
  }
  const unscanned = digests.filter((d) => !summaries.has(d));
  if (unscanned.length > 0) {
    // Queued but not started: the scan row appears when a worker takes the job.
    const queued = await db.selectDistinct({ digest: scanJobs.digest }).from(scanJobs).where(inArray(scanJobs.digest, unscanned));
    for (const job of queued) summaries.set(job.digest, { status: 'pending', counts: zeroCounts() });
  }
  return summaries;
}

/**
 * An index's images summed: failed if one failed, pending while one is not done (or not even
 * queued yet), done when all are. Null when none of them was ever scanned.
 */
function sumChildren(own: VulnerabilitySummary | undefined, children: (VulnerabilitySummary | undefined)[]): VulnerabilitySummary | null {
  if (children.every((c) => c === undefined)) return own ? { status: own.status, counts: zeroCounts() } : null;
  const counts = zeroCounts();
  for (const child of children) for (const severity of Object.keys(counts) as (keyof SeverityCounts)[]) counts[severity] += child?.counts[severity] ?? 0;
  const status = children.some((c) => c?.status === 'failed') ? 'failed' : children.some((c) => c === undefined || c.status === 'pending') ? 'pending' : 'done';
  return { status, counts };
}

const key = (repositoryId: number, digest: string) => `${repositoryId} ${digest}`;

/** Which (repository, digest) pairs have a referrer of one of `artifactTypes`. */
async function subjectsWithReferrers(db: Database, repositoryIds: number[], digests: string[], artifactTypes: string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ repositoryId: manifests.repositoryId, subject: manifests.subjectDigest })
    .from(manifests)
    .where(and(inArray(manifests.repositoryId, repositoryIds), inArray(manifests.subjectDigest, digests), inArray(manifests.artifactType, artifactTypes)));
  return new Set(rows.map((row) => key(row.repositoryId, row.subject ?? '')));
}

/** Which (repository, digest) pairs have a cosign legacy signature tag (`sha256-<hex>.sig`). */
async function legacySignatureTags(db: Database, repositoryIds: number[], digests: string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const names = digests.map((d) => `${d.replace(':', '-')}.sig`);
  const rows = await db
    .select({ repositoryId: tags.repositoryId, name: tags.name })
    .from(tags)
    .where(and(inArray(tags.repositoryId, repositoryIds), inArray(tags.name, names)));
  return new Set(rows.map((row) => key(row.repositoryId, row.name.replace(/\.sig$/, '').replace('-', ':'))));
}

const UNSIGNED: SignatureSummary = { count: 0, status: 'unsigned', signers: [] };

/**
 * The signatures of one image under `policy` (the namespace's production policy, if any):
 * valid when they meet it, invalid when one does not verify, untrusted when signed otherwise.
 */
async function signatureSummary(registry: Registry, repository: string, digest: string, policy: TrustPolicy | undefined): Promise<SignatureSummary> {
  const { checked, signers } = await evaluateSignatures(registry, repository, digest, policy);
  if (checked.length === 0) return UNSIGNED;
  const verified = [...new Set(checked.filter((c) => c.verdict.valid && c.verdict.signer).map((c) => c.verdict.signer as string))].sort();
  const status = policy && signers.size >= policy.required ? 'valid' : checked.some((c) => signatureStatus(c) === 'invalid') ? 'invalid' : 'untrusted';
  return { count: checked.length, status, signers: verified };
}

/**
 * Describes `rows` (at most a page: signatures are verified for each), in their order; null for
 * a row whose manifest was deleted in the meantime.
 *
 * @example
 * const [latest] = await summarizeTags(backends, [{ repositoryId: 3, repository: 'team/app', tag: 'v1', pushedAt, manifestId: 17 }]);
 */
export async function summarizeTags(backends: CatalogBackends, rows: TagRow[]): Promise<(TagSummary | null)[]> {
  const { db, registry, policies } = backends;
  if (rows.length === 0) return [];
  const manifestIds = [...new Set(rows.map((r) => r.manifestId))];
  const repositoryIds = [...new Set(rows.map((r) => r.repositoryId))];
  const facts = await loadManifests(db, manifestIds);
  const sizes = await manifestSizes(db, manifestIds);
  const all = [...facts.values()];
  const images = all.filter((m) => m.type === 'image');
  const childDigests = all.flatMap((m) => m.children.map((c) => c.digest));
  const subjects = [...new Set([...all.map((m) => m.digest), ...childDigests])];
  const scannable = [...new Set([...images.map((m) => m.digest), ...all.flatMap((m) => m.children.filter((c) => !isAttestationEntry(c)).map((c) => c.digest))])];

  const platforms = await imagePlatforms(db, registry, images);
  const scans = await scanSummaries(db, scannable);
  const sboms = await subjectsWithReferrers(db, repositoryIds, subjects, SBOM_ARTIFACT_TYPES);
  // Only images with a signature artifact are verified; the rest are unsigned without a look.
  const signed = new Set([
    ...(await subjectsWithReferrers(db, repositoryIds, subjects, [BUNDLE_MEDIA_TYPE, COSIGN_SIGNATURE_ARTIFACT_TYPE])),
    ...(await legacySignatureTags(db, repositoryIds, subjects)),
  ]);

  const policyOf = new Map<string, Promise<TrustPolicy | undefined>>();
  const namespacePolicy = (repository: string) => {
    const namespace = repository.split('/')[0] as string;
    let policy = policyOf.get(namespace);
    if (!policy) policyOf.set(namespace, (policy = policies.find(namespace, DEFAULT_ENVIRONMENT)));
    return policy;
  };
  const toCheck = [...new Map(rows.map((r) => [key(r.repositoryId, facts.get(r.manifestId)?.digest ?? ''), r])).values()].filter((r) =>
    signed.has(key(r.repositoryId, facts.get(r.manifestId)?.digest ?? '')),
  );
  const signatures = new Map<string, SignatureSummary>();
  await mapLimited(toCheck, CONCURRENCY, async (row) => {
    const digest = facts.get(row.manifestId)?.digest ?? '';
    signatures.set(key(row.repositoryId, digest), await signatureSummary(registry, row.repository, digest, await namespacePolicy(row.repository)));
  });

  return rows.map((row): TagSummary | null => {
    const manifest = facts.get(row.manifestId);
    if (!manifest) return null;
    const { digest, type } = manifest;
    const vulnerabilities =
      type === 'image'
        ? (scans.get(digest) ?? null)
        : type === 'index'
          ? sumChildren(scans.get(digest), manifest.children.filter((c) => !isAttestationEntry(c)).map((c) => scans.get(c.digest)))
          : null;
    const platform = platforms.get(digest);
    const sbom = sboms.has(key(row.repositoryId, digest)) || manifest.children.some((c) => sboms.has(key(row.repositoryId, c.digest)));
    // Images carry their config media type in the column; only artifacts (and indexes saying so) have an artifact type.
    const artifactType = type === 'artifact' || (type === 'index' && manifest.parsed?.artifactType !== undefined) ? (manifest.artifactType ?? undefined) : undefined;
    return {
        name: row.tag,
        digest,
        mediaType: manifest.mediaType,
        type,
        ...(artifactType ? { artifactType } : {}),
        platforms: type === 'index' ? indexPlatforms(manifest.children) : platform ? [platform] : [],
        size: sizes.get(row.manifestId) ?? 0,
        pushedAt: new Date(row.pushedAt).toISOString(),
        signatures: signatures.get(key(row.repositoryId, digest)) ?? UNSIGNED,
        vulnerabilities,
        sbom,
    };
  });
}
