/**
 * The Hub's image dependency graph, read from the database: what an image is built on (its
 * base, by the build's annotations or, failing those, by shared layers), what is built on it,
 * which images an index lists, which image a referrer refers to, and which artifacts a build
 * pinned. Plain functions over the metadata database; who may see what is the API's business.
 */
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { imageLayers, manifestReferences, manifests, repositories, tags } from '../db/schema.ts';
import { isDigest } from '../oci/digest.ts';
import { parseManifest } from '../oci/manifest.ts';
import { INDEX_TYPES } from '../oci/mediatypes.ts';
import { platformOf } from '../oci/platform.ts';

/** `dev.nocker.dependencies`: a JSON list of the pinned references (`host/name:tag@sha256:…`) a build used as artifacts. */
export const DEPENDENCIES_ANNOTATION = 'dev.nocker.dependencies';

/** An image (or index) in one repository, with the tags pointing at it there. */
export interface ImageNode {
  repository: string;
  digest: string;
  tags: string[];
}

/** How a base was found: the build's annotations named it, or the layer stacks show it. */
export type BaseEvidence = 'annotation' | 'layers';

/** The image another is built on. */
export interface BaseImage extends ImageNode {
  via: BaseEvidence;
  /** How many bottom layers the image shares with it; null when the base has no recorded stack (an index). */
  layerCount: number | null;
}

/** An image built (directly or not) on another. */
export interface DependentImage extends ImageNode {
  via: BaseEvidence;
  /** 1 for images built directly on the one asked about, 2 for images built on those… */
  depth: number;
  /** The image it is built on, one level up. */
  base: { repository: string; digest: string };
}

/** An index's entry. */
export interface IndexChild {
  repository: string;
  digest: string;
  mediaType: string;
  /** `os/arch[/variant]`, when the index says. */
  platform?: string;
}

/** An artifact dependency pinned by the build (`dev.nocker.dependencies`). */
export interface ArtifactDependency {
  /** As the annotation spells it. */
  reference: string;
  /** The registry host it names, if any. */
  host?: string;
  repository: string;
  tag?: string;
  digest: string;
}

/** The stack recorded for one image (a row of `image_layers` with its repository). */
interface LayerRow {
  manifestId: number;
  repository: string;
  digest: string;
  chainIds: string[];
  layerCount: number;
  topChainId: string;
  baseName: string | null;
  baseDigest: string | null;
}

const layerColumns = {
  manifestId: imageLayers.manifestId,
  repository: repositories.name,
  digest: imageLayers.digest,
  chainIds: imageLayers.chainIds,
  layerCount: imageLayers.layerCount,
  topChainId: imageLayers.topChainId,
  baseName: imageLayers.baseName,
  baseDigest: imageLayers.baseDigest,
};

/** The first path segment of a repository name. */
const namespaceOf = (repository: string) => repository.split('/')[0] as string;

/** Candidates in the asker's namespace first, then the oldest: one stable answer among equals. */
const preferred = (repository: string): SQL[] => [desc(sql`split_part(${repositories.name}, '/', 1) = ${namespaceOf(repository)}`), asc(manifests.createdAt), asc(manifests.id)];

function layerRows(db: Database) {
  return db
    .select(layerColumns)
    .from(imageLayers)
    .innerJoin(manifests, eq(manifests.id, imageLayers.manifestId))
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId));
}

async function stackOf(db: Database, repository: string, digest: string): Promise<LayerRow | undefined> {
  const [row] = await layerRows(db).where(and(eq(repositories.name, repository), eq(imageLayers.digest, digest)));
  return row;
}

/**
 * The tags of each manifest (by `manifests.id`), sorted.
 *
 * @example
 * (await tagsOf(db, [id])).get(id); // ['12', 'latest']
 */
export async function tagsOf(db: Database, manifestIds: readonly number[]): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>();
  if (manifestIds.length === 0) return found;
  const rows = await db.select({ manifestId: tags.manifestId, name: tags.name }).from(tags).where(inArray(tags.manifestId, [...new Set(manifestIds)])).orderBy(asc(tags.name));
  for (const row of rows) found.set(row.manifestId, [...(found.get(row.manifestId) ?? []), row.name]);
  return found;
}

/**
 * Reads an image reference as builds write it in `org.opencontainers.image.base.name`:
 * `[HOST/]NAME[:TAG][@DIGEST]`. The first component is a host when it has a `.` or a `:` or is
 * `localhost`. Undefined when it is not a reference at all.
 *
 * @example
 * parseImageName('127.0.0.1:5000/library/debian:12'); // { host: '127.0.0.1:5000', repository: 'library/debian', tag: '12' }
 */
export function parseImageName(text: string): { host?: string; repository: string; tag?: string; digest?: string } | undefined {
  const at = text.indexOf('@');
  const digest = at === -1 ? undefined : text.slice(at + 1);
  if (digest !== undefined && !isDigest(digest)) return undefined;
  let rest = at === -1 ? text : text.slice(0, at);
  let host: string | undefined;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    host = first;
    rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const repository = tag === undefined ? rest : rest.slice(0, colon);
  if (!/^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/.test(repository)) return undefined;
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) return undefined;
  return { ...(host ? { host } : {}), repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/**
 * What the image `digest` in `repository` is built on: the image its base annotations name
 * when the Hub holds it (in the repository the name gives, else any other), else the known
 * image whose layer stack is the longest proper prefix of its own. Undefined when the image
 * has no recorded stack or no known base.
 *
 * @example
 * await baseOf(db, 'team/app', 'sha256:…'); // { repository: 'library/debian', digest, tags: ['12'], via: 'layers', layerCount: 1 }
 */
export async function baseOf(db: Database, repository: string, digest: string): Promise<BaseImage | undefined> {
  const self = await stackOf(db, repository, digest);
  return self ? baseOfStack(db, self) : undefined;
}

async function baseOfStack(db: Database, self: LayerRow): Promise<BaseImage | undefined> {
  if (self.baseDigest) {
    const named = self.baseName ? parseImageName(self.baseName)?.repository : undefined;
    const [found] = await db
      .select({ id: manifests.id, repository: repositories.name, digest: manifests.digest, layerCount: imageLayers.layerCount, topChainId: imageLayers.topChainId })
      .from(manifests)
      .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
      .leftJoin(imageLayers, eq(imageLayers.manifestId, manifests.id))
      .where(eq(manifests.digest, self.baseDigest))
      .orderBy(desc(sql`${repositories.name} = ${named ?? ''}`), ...preferred(self.repository))
      .limit(1);
    if (found) {
      // The annotation is the build's word; the layers say how much of the image it accounts for.
      const shared = found.layerCount !== null && found.layerCount < self.layerCount && self.chainIds[found.layerCount - 1] === found.topChainId;
      const tagged = await tagsOf(db, [found.id]);
      return { repository: found.repository, digest: found.digest, tags: tagged.get(found.id) ?? [], via: 'annotation', layerCount: shared ? found.layerCount : null };
    }
  }
  const prefixes = self.chainIds.slice(0, -1);
  if (prefixes.length === 0) return undefined;
  const [found] = await layerRows(db)
    .where(inArray(imageLayers.topChainId, prefixes))
    .orderBy(desc(imageLayers.layerCount), ...preferred(self.repository))
    .limit(1);
  if (!found) return undefined;
  const tagged = await tagsOf(db, [found.manifestId]);
  return { repository: found.repository, digest: found.digest, tags: tagged.get(found.manifestId) ?? [], via: 'layers', layerCount: found.layerCount };
}

/**
 * The chain of bases of an image, its own base first, up to the root (an image built on
 * nothing the Hub knows). Stops at a cycle (annotations can lie) and after `limit` steps.
 *
 * @example
 * (await basesOf(db, 'team/app', digest)).map((b) => b.repository); // ['team/runtime', 'library/debian']
 */
export async function basesOf(db: Database, repository: string, digest: string, limit = 64): Promise<BaseImage[]> {
  const chain: BaseImage[] = [];
  const seen = new Set([digest]);
  let current = { repository, digest };
  while (chain.length < limit) {
    const base = await baseOf(db, current.repository, current.digest);
    if (!base || seen.has(base.digest)) break;
    chain.push(base);
    seen.add(base.digest);
    current = base;
  }
  return chain;
}

/** The recorded stacks of the images the index `digest` lists (none when it is no index). */
async function childStacks(db: Database, index: { repository: string; digest: string }): Promise<LayerRow[]> {
  const children = await childrenOf(db, index.repository, index.digest);
  if (children.length === 0) return [];
  return layerRows(db).where(and(eq(repositories.name, index.repository), inArray(imageLayers.digest, children.map((c) => c.digest))));
}

/** The images built directly on `base`: naming it in their annotations, or sharing its whole stack with no nearer known base. */
async function directDependents(db: Database, base: { repository: string; digest: string; stack?: LayerRow }): Promise<(LayerRow & { via: BaseEvidence })[]> {
  // An index has no stack of its own: what is built on its images is built on it.
  const stacks = base.stack ? [base.stack] : await childStacks(db, base);
  const named = [base.digest, ...stacks.map((s) => s.digest).filter((d) => d !== base.digest)];
  const annotated = await layerRows(db).where(inArray(imageLayers.baseDigest, named)).orderBy(asc(repositories.name), asc(imageLayers.digest));
  const found: (LayerRow & { via: BaseEvidence })[] = annotated.map((row) => ({ ...row, via: 'annotation' }));
  for (const stack of stacks) {
    const k = stack.layerCount;
    const byLayers = await layerRows(db)
      .where(
        and(
          sql`${imageLayers.layerCount} > ${k}`,
          sql`${imageLayers.chainIds}[${k}::int] = ${stack.topChainId}`,
          // An image whose annotations name a base the Hub holds is that base's, not ours.
          sql`(${imageLayers.baseDigest} is null or not exists (select 1 from ${manifests} b where b.digest = ${imageLayers.baseDigest}))`,
          // No known image sits between: ours is the longest proper prefix.
          sql`not exists (select 1 from ${imageLayers} o where o.top_chain_id = any(${imageLayers.chainIds}[${k + 1}::int : ${imageLayers.layerCount} - 1]))`,
        ),
      )
      .orderBy(asc(repositories.name), asc(imageLayers.digest));
    found.push(...byLayers.map((row) => ({ ...row, via: 'layers' as const })));
  }
  return found;
}

/**
 * The images built on the image `digest` of `repository`: directly (depth 1), or with
 * `transitive`, everything built on those too, nearest first. The same image in two
 * repositories is listed once for each.
 *
 * @example
 * await dependentsOf(db, 'library/debian', digest, { transitive: true }); // [{ repository: 'team/app', depth: 1, via: 'layers', … }]
 */
export async function dependentsOf(db: Database, repository: string, digest: string, options: { transitive?: boolean; limit?: number } = {}): Promise<DependentImage[]> {
  const limit = options.limit ?? 10_000;
  const found: (LayerRow & { via: BaseEvidence; depth: number; base: { repository: string; digest: string } })[] = [];
  const listed = new Set<string>();
  const expanded = new Set([digest]);
  let level: { repository: string; digest: string; stack?: LayerRow }[] = [{ repository, digest, stack: await stackOf(db, repository, digest) }];
  for (let depth = 1; level.length > 0 && found.length < limit; depth += 1) {
    const next: typeof level = [];
    for (const base of level) {
      for (const row of await directDependents(db, base)) {
        const key = `${row.repository}@${row.digest}`;
        if (listed.has(key) || row.digest === digest) continue;
        listed.add(key);
        found.push({ ...row, depth, base: { repository: base.repository, digest: base.digest } });
        // The same image in another repository has the same dependents: walk them once.
        if (!expanded.has(row.digest)) {
          expanded.add(row.digest);
          next.push({ repository: row.repository, digest: row.digest, stack: row });
        }
      }
    }
    if (!options.transitive) break;
    level = next;
  }
  const tagged = await tagsOf(db, found.map((row) => row.manifestId));
  return found.slice(0, limit).map((row) => ({
    repository: row.repository,
    digest: row.digest,
    tags: tagged.get(row.manifestId) ?? [],
    via: row.via,
    depth: row.depth,
    base: row.base,
  }));
}

/** One manifest row of a repository, as the index and referrer edges need it. */
async function manifestRow(db: Database, repository: string, digest: string) {
  const [row] = await db
    .select({ id: manifests.id, repositoryId: manifests.repositoryId, mediaType: manifests.mediaType, content: manifests.content, subjectDigest: manifests.subjectDigest, annotations: manifests.annotations })
    .from(manifests)
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(and(eq(repositories.name, repository), eq(manifests.digest, digest)));
  return row;
}

/**
 * The manifests an index lists (in its repository, with their platforms); empty for anything
 * that is not an index.
 *
 * @example
 * await childrenOf(db, 'library/debian', indexDigest); // [{ digest, mediaType, platform: 'linux/amd64' }, …]
 */
export async function childrenOf(db: Database, repository: string, digest: string): Promise<IndexChild[]> {
  const row = await manifestRow(db, repository, digest);
  if (!row || !INDEX_TYPES.has(row.mediaType)) return [];
  return parseManifest(new Uint8Array(row.content), row.mediaType).manifests.map((child) => {
    const platform = platformOf(child.platform);
    return { repository, digest: child.digest, mediaType: child.mediaType, ...(platform ? { platform } : {}) };
  });
}

/**
 * The indexes of `repository` that list the manifest `digest`.
 *
 * @example
 * await indexesOf(db, 'library/debian', amd64Digest); // [{ repository: 'library/debian', digest: indexDigest, tags: ['12'] }]
 */
export async function indexesOf(db: Database, repository: string, digest: string): Promise<ImageNode[]> {
  const rows = await db
    .select({ id: manifests.id, digest: manifests.digest })
    .from(manifestReferences)
    .innerJoin(manifests, eq(manifests.id, manifestReferences.manifestId))
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(and(eq(repositories.name, repository), eq(manifestReferences.kind, 'manifest'), eq(manifestReferences.digest, digest)))
    .orderBy(asc(manifests.digest));
  const tagged = await tagsOf(db, rows.map((r) => r.id));
  return rows.map((r) => ({ repository, digest: r.digest, tags: tagged.get(r.id) ?? [] }));
}

/**
 * The referrer edge: the manifest `digest` refers to (its `subject`), whether the Hub holds
 * that subject, and how many referrers `digest` itself has.
 *
 * @example
 * await subjectOf(db, 'team/app', signatureDigest); // { subject: { repository: 'team/app', digest, tags: ['v1'], present: true }, referrers: 0 }
 */
export async function subjectOf(db: Database, repository: string, digest: string): Promise<{ subject: (ImageNode & { present: boolean }) | null; referrers: number }> {
  const row = await manifestRow(db, repository, digest);
  if (!row) return { subject: null, referrers: 0 };
  const [count] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(manifests)
    .where(and(eq(manifests.repositoryId, row.repositoryId), eq(manifests.subjectDigest, digest)));
  const referrers = Number(count?.n ?? 0);
  if (!row.subjectDigest) return { subject: null, referrers };
  const [target] = await db
    .select({ id: manifests.id })
    .from(manifests)
    .where(and(eq(manifests.repositoryId, row.repositoryId), eq(manifests.digest, row.subjectDigest)));
  const tagged = target ? await tagsOf(db, [target.id]) : new Map<number, string[]>();
  return { subject: { repository, digest: row.subjectDigest, tags: target ? (tagged.get(target.id) ?? []) : [], present: target !== undefined }, referrers };
}

/**
 * Reads `dev.nocker.dependencies`: a JSON list of pinned references. Anything that is not a
 * string `[HOST/]NAME[:TAG]@DIGEST` is left out; a malformed annotation gives nothing.
 *
 * @example
 * parseArtifactDependencies('["127.0.0.1:5000/team/model:v2@sha256:…"]'); // [{ repository: 'team/model', tag: 'v2', … }]
 */
export function parseArtifactDependencies(annotation: string | undefined): ArtifactDependency[] {
  if (!annotation) return [];
  let list: unknown;
  try {
    list = JSON.parse(annotation);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.flatMap((item): ArtifactDependency[] => {
    if (typeof item !== 'string') return [];
    const parsed = parseImageName(item);
    if (!parsed?.digest) return [];
    return [{ reference: item, ...parsed, digest: parsed.digest }];
  });
}

/**
 * The artifact dependencies the manifest `digest` of `repository` pins.
 *
 * @example
 * await artifactDependencies(db, 'team/app', digest); // [{ reference, repository: 'team/model', tag: 'v2', digest }]
 */
export async function artifactDependencies(db: Database, repository: string, digest: string): Promise<ArtifactDependency[]> {
  const row = await manifestRow(db, repository, digest);
  return parseArtifactDependencies(row?.annotations?.[DEPENDENCIES_ANNOTATION]);
}

/** How much of an image its base accounts for. */
export interface InheritedLayers {
  base: { repository: string; digest: string; tag?: string };
  /** The image's bottom `layerCount` layers are its base's. */
  layerCount: number;
}

/**
 * How many bottom layers the image shares with its base; undefined when it has no known base
 * or the base's stack is not known.
 *
 * @example
 * await inheritedLayers(db, 'team/app', digest); // { base: { repository: 'library/debian', digest, tag: '12' }, layerCount: 1 }
 */
export async function inheritedLayers(db: Database, repository: string, digest: string): Promise<InheritedLayers | undefined> {
  const base = await baseOf(db, repository, digest);
  if (!base?.layerCount) return undefined;
  const tag = base.tags[0];
  return { base: { repository: base.repository, digest: base.digest, ...(tag ? { tag } : {}) }, layerCount: base.layerCount };
}

/**
 * Marks the findings that come from the base: those whose `layer` is one of the image's bottom
 * `inherited.layerCount` layers. `layers` lists the image's layers bottom first, named as the
 * findings name them (diffIDs, or the manifest's layer digests).
 *
 * @example
 * viaBase(report.vulnerabilities, diffIds, await inheritedLayers(db, repository, digest));
 * // [{ id: 'CVE-…', layer: diffIds[0], viaBase: { repository: 'library/debian', … } }, { id: 'GHSA-…', layer: diffIds[2] }]
 */
export function viaBase<T extends { layer?: string | null }>(findings: readonly T[], layers: readonly string[], inherited: InheritedLayers | undefined): (T & { viaBase?: InheritedLayers['base'] })[] {
  const fromBase = new Set(inherited ? layers.slice(0, inherited.layerCount) : []);
  return findings.map((finding) => (inherited && finding.layer && fromBase.has(finding.layer) ? { ...finding, viaBase: inherited.base } : finding));
}
