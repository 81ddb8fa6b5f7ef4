/**
 * Manifests and tags: put (validated, with every referenced blob and child present), get by tag
 * or digest, delete, tag listing and the referrers of a subject. Each operation is one database
 * transaction.
 */
import { and, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/open.ts';
import { blobs, manifestReferences, manifests, repositories, repositoryBlobs, tags } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { digestOf } from '../oci/digest.ts';
import { parseManifest, type Descriptor, type ParsedManifest } from '../oci/manifest.ts';
import { parseManifestReference, type ManifestReference } from '../oci/names.ts';
import { ensureRepositoryId, findRepositoryId, requireRepositoryId } from './repositories.ts';
import { toPage, type Page, type PageRequest } from './pagination.ts';
import type { RegistryEvents } from './events.ts';
import { ManifestCache } from './manifest-cache.ts';

export interface StoredManifest {
  digest: string;
  mediaType: string;
  content: Uint8Array;
}

export interface PutManifestResult {
  digest: string;
  /** The subject's digest, for the `OCI-Subject` response header. */
  subject?: string;
}

/** A byte-order comparison, so that listings are lexical whatever the database collation. */
const byteOrder = (column: typeof tags.name | typeof repositories.name) => sql`${column} collate "C"`;

/** What a namespace's policy asks of tag writes. */
export interface TagPolicy {
  /** A tag, once pushed, can neither move to another manifest nor be deleted. */
  immutableTags?: boolean;
}

/** Which repositories a listing may show: those in these namespaces, with these names, or under these prefixes. */
export interface RepositoryFilter {
  namespaces: string[];
  names: string[];
  /** Each ends in `/`: `team/` admits `team/app` and `team/app/api`. */
  prefixes: string[];
}

function admits(filter: RepositoryFilter) {
  const name = repositories.name;
  return or(
    sql`split_part(${name}, '/', 1) = any(${sql.param(filter.namespaces)}::text[])`,
    sql`${name} = any(${sql.param(filter.names)}::text[])`,
    sql`exists (select 1 from unnest(${sql.param(filter.prefixes)}::text[]) as prefix where starts_with(${name}, prefix))`,
  );
}

function immutableTag(name: string, tag: string): OciError {
  return new OciError('DENIED', `tag ${tag} of ${name} is immutable: its namespace does not let a pushed tag move or be deleted`, {
    detail: { repository: name, tag },
  });
}

export class ManifestService {
  /** The hot path, prepared once: a manifest by tag or by digest in one round trip. */
  private readonly byTag;
  private readonly byDigest;

  private readonly cache = new ManifestCache();

  constructor(
    private readonly db: Database,
    private readonly events: RegistryEvents,
  ) {
    const columns = { digest: manifests.digest, mediaType: manifests.mediaType, content: manifests.content };
    this.byTag = db
      .select(columns)
      .from(tags)
      .innerJoin(repositories, eq(repositories.id, tags.repositoryId))
      .innerJoin(manifests, eq(manifests.id, tags.manifestId))
      .where(and(eq(repositories.name, sql.placeholder('name')), eq(tags.name, sql.placeholder('reference'))))
      .prepare('manifest_by_tag');
    this.byDigest = db
      .select(columns)
      .from(manifests)
      .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
      .where(and(eq(repositories.name, sql.placeholder('name')), eq(manifests.digest, sql.placeholder('reference'))))
      .prepare('manifest_by_digest');
  }

  /**
   * Stores a manifest under a tag or a digest. The bytes are kept exactly as sent.
   *
   * @example
   * await manifests.put('library/app', 'v1', body, 'application/vnd.oci.image.manifest.v1+json');
   */
  async put(
    name: string,
    reference: string,
    content: Uint8Array,
    contentType: string | undefined,
    policy: TagPolicy = {},
  ): Promise<PutManifestResult> {
    const ref = parseManifestReference(reference);
    const digest = digestOf(content, ref.kind === 'digest' ? ref.digest.algorithm : 'sha256');
    if (ref.kind === 'digest' && ref.digest.value !== digest) {
      throw new OciError('DIGEST_INVALID', `the manifest body hashes to ${digest}, not ${ref.digest.value}`, {
        detail: { expected: ref.digest.value, actual: digest },
      });
    }
    const manifest = parseManifest(content, contentType);

    await this.db.transaction(async (tx) => {
      const repositoryId = await ensureRepositoryId(tx, name);
      await requireBlobs(tx, repositoryId, name, manifest.blobs);
      await requireChildren(tx, repositoryId, name, manifest.manifests);
      const manifestId = await insertManifest(tx, repositoryId, digest, content, manifest);
      if (ref.kind === 'tag') {
        // An immutable tag may be pushed again with the same manifest, never moved.
        const written = await tx
          .insert(tags)
          .values({ repositoryId, name: ref.tag, manifestId })
          .onConflictDoUpdate({
            target: [tags.repositoryId, tags.name],
            set: { manifestId, updatedAt: sql`now()` },
            setWhere: policy.immutableTags ? sql`${tags.manifestId} = excluded.manifest_id` : undefined,
          })
          .returning({ manifestId: tags.manifestId });
        if (written.length === 0) throw immutableTag(name, ref.tag);
      }
    });
    this.cache.invalidate(name);
    await touchBlobs(this.db, manifest.blobs);
    this.events.emit({
      type: 'manifest.pushed',
      repository: name,
      digest,
      mediaType: manifest.mediaType,
      tag: ref.kind === 'tag' ? ref.tag : undefined,
      subject: manifest.subject?.digest,
    });
    return { digest, subject: manifest.subject?.digest };
  }

  /** The manifest named by a tag or digest; MANIFEST_UNKNOWN or NAME_UNKNOWN when absent. */
  async get(name: string, reference: string): Promise<StoredManifest> {
    const ref = parseManifestReference(reference);
    const cached = this.cache.get(name, reference);
    if (cached) return cached;
    const generation = this.cache.generation(name);
    const query = ref.kind === 'tag' ? this.byTag : this.byDigest;
    const [row] = await query.execute({ name, reference: ref.kind === 'tag' ? ref.tag : ref.digest.value });
    if (!row) throw await this.unknown(name, ref);
    const manifest = { ...row, content: new Uint8Array(row.content) };
    this.cache.set(name, reference, manifest, generation);
    return manifest;
  }

  /**
   * Drops what this Hub remembers of a repository's manifests. Called for every change, here and
   * (through the database's notifications) on the other replicas.
   */
  forget(name: string): void {
    this.cache.invalidate(name);
  }

  /**
   * Deleting a tag untags; deleting a digest removes the manifest and every tag on it. Under
   * immutable tags neither may remove a tag.
   */
  async delete(name: string, reference: string, policy: TagPolicy = {}): Promise<void> {
    const ref = parseManifestReference(reference);
    const repositoryId = await requireRepositoryId(this.db, name);
    if (policy.immutableTags && ref.kind === 'tag') {
      const [tagged] = await this.db.select({ id: tags.manifestId }).from(tags).where(and(eq(tags.repositoryId, repositoryId), eq(tags.name, ref.tag)));
      if (tagged) throw immutableTag(name, ref.tag);
    }
    const removed = await this.db.transaction(async (tx) => {
      if (ref.kind === 'tag') {
        return tx
          .delete(tags)
          .where(and(eq(tags.repositoryId, repositoryId), eq(tags.name, ref.tag)))
          .returning({ id: tags.manifestId });
      }
      const where = and(eq(manifests.repositoryId, repositoryId), eq(manifests.digest, ref.digest.value));
      if (policy.immutableTags) {
        // Locks the manifest first, so that no tag can be pointed at it between the check and the delete.
        const [target] = await tx.select({ id: manifests.id }).from(manifests).where(where).for('update');
        const [tag] = target ? await tx.select({ name: tags.name }).from(tags).where(eq(tags.manifestId, target.id)).limit(1) : [];
        if (tag) throw immutableTag(name, tag.name);
      }
      return tx.delete(manifests).where(where).returning({ id: manifests.id });
    });
    if (removed.length === 0) throw await this.unknown(name, ref);
    this.cache.invalidate(name);
    this.events.emit(
      ref.kind === 'tag'
        ? { type: 'tag.deleted', repository: name, tag: ref.tag }
        : { type: 'manifest.deleted', repository: name, digest: ref.digest.value },
    );
  }

  /** Tags of repository `name` in lexical order. */
  async listTags(name: string, page: PageRequest): Promise<Page> {
    const repositoryId = await requireRepositoryId(this.db, name);
    const rows = await this.db
      .select({ name: tags.name })
      .from(tags)
      .where(and(eq(tags.repositoryId, repositoryId), page.last ? gt(byteOrder(tags.name), page.last) : undefined))
      .orderBy(byteOrder(tags.name))
      .limit(page.limit === undefined ? Number.MAX_SAFE_INTEGER : page.limit + 1);
    return toPage(
      rows.map((r) => r.name),
      page.limit,
    );
  }

  /** Repositories holding manifests, in byte order; only those `visible` admits when given. */
  async listRepositories(page: PageRequest, visible?: RepositoryFilter): Promise<Page> {
    const rows = await this.db
      .select({ name: repositories.name })
      .from(repositories)
      .where(
        and(
          sql`exists (select 1 from ${manifests} where ${manifests.repositoryId} = ${repositories.id})`,
          visible ? admits(visible) : undefined,
          page.last ? gt(byteOrder(repositories.name), page.last) : undefined,
        ),
      )
      .orderBy(byteOrder(repositories.name))
      .limit(page.limit === undefined ? Number.MAX_SAFE_INTEGER : page.limit + 1);
    return toPage(
      rows.map((r) => r.name),
      page.limit,
    );
  }

  /** Descriptors of the manifests in `name` whose subject is `digest`, optionally of one artifact type. */
  async referrers(name: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const repositoryId = await findRepositoryId(this.db, name);
    if (repositoryId === undefined) return [];
    const rows = await this.db
      .select({
        mediaType: manifests.mediaType,
        digest: manifests.digest,
        size: manifests.size,
        artifactType: manifests.artifactType,
        annotations: manifests.annotations,
      })
      .from(manifests)
      .where(
        and(
          eq(manifests.repositoryId, repositoryId),
          eq(manifests.subjectDigest, digest),
          artifactType === undefined ? undefined : eq(manifests.artifactType, artifactType),
        ),
      )
      .orderBy(manifests.id);
    return rows.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(r.annotations ? { annotations: r.annotations } : {}),
    }));
  }

  private async unknown(name: string, ref: ManifestReference): Promise<OciError> {
    if ((await findRepositoryId(this.db, name)) === undefined) {
      return new OciError('NAME_UNKNOWN', `repository ${name} is not known to this Hub`);
    }
    const what = ref.kind === 'tag' ? `tag ${ref.tag}` : `manifest ${ref.digest.value}`;
    return new OciError('MANIFEST_UNKNOWN', `${what} is not in repository ${name}`);
  }
}

/**
 * Every blob the manifest lists must be linked to the repository, with the size it claims. The
 * rows are share-locked until commit: concurrent pushes of manifests that share layers do not
 * wait for each other, while GC, which locks blobs before marking them, waits for this push and
 * then sees its references (or, if first, leaves the blob marked and the push refused).
 */
async function requireBlobs(tx: Transaction, repositoryId: number, name: string, wanted: Descriptor[]): Promise<void> {
  if (wanted.length === 0) return;
  const digests = [...new Set(wanted.map((d) => d.digest))];
  const found = await tx
    .select({ digest: blobs.digest, size: blobs.size })
    .from(blobs)
    .where(
      and(
        inArray(blobs.digest, digests),
        eq(blobs.deleting, false),
        sql`exists (select 1 from ${repositoryBlobs} where ${repositoryBlobs.repositoryId} = ${repositoryId} and ${repositoryBlobs.digest} = ${blobs.digest})`,
      ),
    )
    // Rows are locked in digest order, as GC locks them, so that the two never wait on each other in a cycle.
    .orderBy(blobs.digest)
    .for('share');
  const sizes = new Map(found.map((b) => [b.digest, b.size]));
  for (const d of wanted) {
    const size = sizes.get(d.digest);
    if (size === undefined) {
      throw new OciError('MANIFEST_BLOB_UNKNOWN', `blob ${d.digest} (${d.mediaType}) is not in repository ${name}; push it first`, {
        detail: { digest: d.digest },
      });
    }
    if (size !== d.size) {
      throw new OciError('MANIFEST_INVALID', `descriptor of ${d.digest} says ${d.size} bytes but the blob has ${size}`, {
        detail: { digest: d.digest, size },
      });
    }
  }
}

/**
 * Marks the blobs a manifest references as used now, for GC's grace period, after the push has
 * committed: rows used within the last minute are left alone (and unlocked), so that layers
 * shared by many pushes are not written by each of them.
 */
async function touchBlobs(db: Database, referenced: Descriptor[]): Promise<void> {
  if (referenced.length === 0) return;
  await db
    .update(blobs)
    .set({ lastUsedAt: sql`now()` })
    .where(and(inArray(blobs.digest, [...new Set(referenced.map((d) => d.digest))]), sql`${blobs.lastUsedAt} < now() - interval '1 minute'`));
}

/** Every manifest an index lists must already be in the repository; share-locked like blobs. */
async function requireChildren(tx: Transaction, repositoryId: number, name: string, wanted: Descriptor[]): Promise<void> {
  if (wanted.length === 0) return;
  const digests = [...new Set(wanted.map((d) => d.digest))];
  const found = await tx
    .select({ digest: manifests.digest })
    .from(manifests)
    .where(and(eq(manifests.repositoryId, repositoryId), inArray(manifests.digest, digests)))
    .for('share');
  const present = new Set(found.map((m) => m.digest));
  const missing = digests.find((d) => !present.has(d));
  if (missing) {
    throw new OciError('MANIFEST_BLOB_UNKNOWN', `manifest ${missing} listed by the index is not in repository ${name}; push it first`, {
      detail: { digest: missing },
    });
  }
}

/**
 * Inserts the manifest and what it references. The same bytes pushed again keep their row and
 * count as used now.
 */
async function insertManifest(
  tx: Transaction,
  repositoryId: number,
  digest: string,
  content: Uint8Array,
  manifest: ParsedManifest,
): Promise<number> {
  const [row] = await tx
    .insert(manifests)
    .values({
      repositoryId,
      digest,
      mediaType: manifest.mediaType,
      artifactType: manifest.artifactType,
      size: content.byteLength,
      content,
      subjectDigest: manifest.subject?.digest,
      annotations: manifest.annotations,
    })
    .onConflictDoUpdate({ target: [manifests.repositoryId, manifests.digest], set: { lastUsedAt: sql`now()` } })
    .returning({ id: manifests.id });
  if (!row) throw new Error(`manifest ${digest} could not be stored`);
  const references = [
    ...manifest.blobs.map((d) => ({ manifestId: row.id, digest: d.digest, kind: 'blob' as const })),
    ...manifest.manifests.map((d) => ({ manifestId: row.id, digest: d.digest, kind: 'manifest' as const })),
  ];
  if (references.length > 0) await tx.insert(manifestReferences).values(references).onConflictDoNothing();
  return row.id;
}
