/**
 * Which images to rebuild when a base changes: those built on an older image of a base tag
 * (the tag has moved since) and what is built on them in turn, parents first; and, when the
 * base's current image has vulnerabilities with a fix, everything built on it.
 */
import { and, asc, eq, isNotNull, like, ne, notExists, or, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { imageLayers, imageVulnerabilities, manifestReferences, manifests, repositories, tags } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { parseManifestReference } from '../oci/names.ts';
import { dependentsOf, parseImageName, tagsOf } from './graph.ts';

/** An image to rebuild, and why. */
export interface RebuildEntry {
  repository: string;
  digest: string;
  tags: string[];
  reasons: string[];
}

/** The base asked about, as it is now. */
export interface RebuildBase {
  repository: string;
  /** The tag asked about, when a tag was. */
  tag?: string;
  digest: string;
  tags: string[];
  /** Ids of the vulnerabilities of its current image that have a fixed version. */
  fixableVulnerabilities: string[];
}

export interface RebuildPlan {
  base: RebuildBase;
  images: RebuildEntry[];
}

/** How many vulnerability ids a reason names before it says "…". */
const IDS_SHOWN = 5;

const short = (digest: string) => digest.slice(0, 19);

/**
 * The rebuild plan for the base `repository:reference` (a tag or a digest). `hosts` are the
 * names this Hub goes by: a base annotation naming another host is another registry's image
 * (without `hosts`, any host counts). MANIFEST_UNKNOWN when the reference names nothing.
 *
 * @example
 * const plan = await rebuildPlan(db, 'library/debian', '12', { hosts: ['127.0.0.1:5000'] });
 * plan.images; // [{ repository: 'team/app', digest, tags: ['v1'], reasons: ['base tag moved: …'] }]
 */
export async function rebuildPlan(db: Database, repository: string, reference: string, options: { hosts?: readonly string[] } = {}): Promise<RebuildPlan> {
  const ref = parseManifestReference(reference);
  const tag = ref.kind === 'tag' ? ref.tag : undefined;
  const [current] = await db
    .select({ id: manifests.id, repositoryId: manifests.repositoryId, digest: manifests.digest })
    .from(manifests)
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(
      and(
        eq(repositories.name, repository),
        tag === undefined
          ? eq(manifests.digest, reference)
          : eq(manifests.id, sql`(select ${tags.manifestId} from ${tags} where ${tags.repositoryId} = ${repositories.id} and ${tags.name} = ${tag})`),
      ),
    );
  if (!current) throw new OciError('MANIFEST_UNKNOWN', `${repository}${tag === undefined ? '@' : ':'}${reference} is not on this Hub`, { detail: { repository, reference } });
  const currentTags = (await db.select({ name: tags.name }).from(tags).where(eq(tags.manifestId, current.id)).orderBy(asc(tags.name))).map((t) => t.name);

  const plan = new Map<string, RebuildEntry>();
  const add = (image: { repository: string; digest: string; tags: string[] }, reason: string) => {
    const key = `${image.repository}@${image.digest}`;
    const entry = plan.get(key) ?? { repository: image.repository, digest: image.digest, tags: image.tags, reasons: [] };
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    plan.set(key, entry);
  };

  if (tag !== undefined) {
    const name = `${repository}:${tag}`;
    // (a) Built by annotation on this tag when it pointed elsewhere.
    const annotated = await db
      .select({ id: manifests.id, repository: repositories.name, digest: imageLayers.digest, baseName: imageLayers.baseName, baseDigest: imageLayers.baseDigest })
      .from(imageLayers)
      .innerJoin(manifests, eq(manifests.id, imageLayers.manifestId))
      .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
      .where(and(or(eq(imageLayers.baseName, name), like(imageLayers.baseName, `%/${name}`)), isNotNull(imageLayers.baseDigest), ne(imageLayers.baseDigest, current.digest)))
      .orderBy(asc(repositories.name), asc(imageLayers.digest));
    const names = await tagsOf(db, annotated.map((a) => a.id));
    for (const image of annotated) {
      const parsed = parseImageName(image.baseName ?? '');
      if (parsed?.repository !== repository || parsed.tag !== tag) continue;
      if (parsed.host && options.hosts && !options.hosts.includes(parsed.host)) continue;
      add({ ...image, tags: names.get(image.id) ?? [] }, `base tag moved: built on ${name} at ${short(image.baseDigest ?? '')}, now ${short(current.digest)}`);
    }
    // (a') Built (by layers) on an older image of this repository that no tag names any more:
    // most likely what the tag pointed at before it moved.
    const stale = await db
      .select({ repository: repositories.name, digest: manifests.digest })
      .from(imageLayers)
      .innerJoin(manifests, eq(manifests.id, imageLayers.manifestId))
      .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
      .where(
        and(
          eq(manifests.repositoryId, current.repositoryId),
          ne(manifests.digest, current.digest),
          notExists(db.select({ one: sql`1` }).from(tags).where(eq(tags.manifestId, manifests.id))),
          // The images of a tagged multi-platform index are current, though untagged themselves.
          notExists(
            db
              .select({ one: sql`1` })
              .from(manifestReferences)
              .innerJoin(tags, eq(tags.manifestId, manifestReferences.manifestId))
              .where(and(eq(manifestReferences.kind, 'manifest'), eq(manifestReferences.digest, manifests.digest), eq(tags.repositoryId, manifests.repositoryId))),
          ),
        ),
      )
      .orderBy(asc(manifests.id));
    for (const old of stale) {
      for (const dependent of await dependentsOf(db, old.repository, old.digest)) {
        if (dependent.via !== 'layers') continue;
        add(dependent, `built on ${repository}@${short(old.digest)}, no longer tagged; ${name} is now ${short(current.digest)}`);
      }
    }
  }

  // (c) What is built on an image to rebuild is rebuilt after it: listed after its parent.
  for (const entry of [...plan.values()]) {
    for (const dependent of await dependentsOf(db, entry.repository, entry.digest, { transitive: true })) {
      add(dependent, `built on ${dependent.base.repository}@${short(dependent.base.digest)}, which is to be rebuilt`);
    }
  }

  // (b) Everything built on the current image, when it has fixable vulnerabilities.
  const fixable = (
    await db
      .selectDistinct({ id: imageVulnerabilities.vulnerabilityId })
      .from(imageVulnerabilities)
      .where(and(eq(imageVulnerabilities.digest, current.digest), isNotNull(imageVulnerabilities.fixedVersion)))
      .orderBy(asc(imageVulnerabilities.vulnerabilityId))
  ).map((v) => v.id);
  if (fixable.length > 0) {
    const ids = fixable.slice(0, IDS_SHOWN).join(', ') + (fixable.length > IDS_SHOWN ? ', …' : '');
    const reason = `base ${tag === undefined ? `${repository}@${short(current.digest)}` : `${repository}:${tag}`} has ${fixable.length} fixable ${fixable.length === 1 ? 'vulnerability' : 'vulnerabilities'} (${ids})`;
    for (const dependent of await dependentsOf(db, repository, current.digest, { transitive: true })) add(dependent, reason);
  }

  return {
    base: { repository, ...(tag !== undefined ? { tag } : {}), digest: current.digest, tags: currentTags, fixableVulnerabilities: fixable },
    images: [...plan.values()],
  };
}
