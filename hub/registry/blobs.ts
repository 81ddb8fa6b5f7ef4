/**
 * Blobs as repositories see them: a blob is stored once, and a repository sees it only while a
 * link (from a push or a mount) ties it to that repository.
 */
import type { Readable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import type { ByteRange, BlobStore } from '../../storage/blobstore.ts';
import type { Database, Transaction } from '../db/open.ts';
import { blobs, repositories, repositoryBlobs } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { ensureRepositoryId } from './repositories.ts';

export interface BlobInfo {
  digest: string;
  size: number;
}

export class BlobService {
  /** The hot path, prepared once: a blob as one repository sees it, in one round trip. */
  private readonly linked;

  constructor(
    private readonly db: Database,
    private readonly store: BlobStore,
  ) {
    this.linked = db
      .select({ size: blobs.size })
      .from(repositoryBlobs)
      .innerJoin(repositories, eq(repositories.id, repositoryBlobs.repositoryId))
      .innerJoin(blobs, eq(blobs.digest, repositoryBlobs.digest))
      .where(
        and(eq(repositories.name, sql.placeholder('name')), eq(repositoryBlobs.digest, sql.placeholder('digest')), eq(blobs.deleting, false)),
      )
      .prepare('blob_in_repository');
  }

  /** Size of `digest` as repository `name` sees it; BLOB_UNKNOWN when it is not linked there. */
  async stat(name: string, digest: string): Promise<BlobInfo> {
    const [row] = await this.linked.execute({ name, digest });
    if (!row) throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { detail: { digest } });
    return { digest, size: row.size };
  }

  /** Streams the blob, or the inclusive `range` of it, once stat() has allowed it. */
  read(digest: string, range?: ByteRange): Promise<Readable> {
    return this.store.read(digest, range);
  }

  /**
   * Where a client may fetch the whole blob directly (a presigned storage URL), once stat() has
   * allowed it; undefined when the store serves it only through the Hub.
   */
  redirectUrl(digest: string): Promise<string | undefined> {
    return this.store.redirectUrl(digest);
  }

  /** Removes the blob from repository `name` (the bytes go when GC finds them unused). */
  async unlink(name: string, digest: string): Promise<void> {
    const removed = await this.db
      .delete(repositoryBlobs)
      .where(
        and(
          eq(repositoryBlobs.digest, digest),
          eq(repositoryBlobs.repositoryId, sql`(select ${repositories.id} from ${repositories} where ${repositories.name} = ${name})`),
        ),
      )
      .returning({ digest: repositoryBlobs.digest });
    if (removed.length === 0) throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { detail: { digest } });
  }

  /**
   * Links an existing blob into repository `name` without moving bytes: from repository `from`
   * when given (only if the blob is there), else from anywhere in the Hub. Returns the blob, or
   * undefined when it cannot be mounted.
   */
  async mount(name: string, digest: string, from: string | undefined): Promise<BlobInfo | undefined> {
    const source = from ? await this.stat(from, digest).catch(() => undefined) : await this.find(digest);
    if (!source) return undefined;
    return this.db.transaction(async (tx) => {
      const repositoryId = await ensureRepositoryId(tx, name);
      return (await linkBlob(tx, repositoryId, digest)) ? source : undefined;
    });
  }

  /** The blob if the Hub holds it in any repository. */
  private async find(digest: string): Promise<BlobInfo | undefined> {
    const [row] = await this.db
      .select({ size: blobs.size })
      .from(blobs)
      .where(and(eq(blobs.digest, digest), eq(blobs.deleting, false)));
    return row ? { digest, size: row.size } : undefined;
  }
}

/**
 * Links `digest` into a repository and marks the blob used now, so that GC's grace period
 * protects it. Returns false when the blob is gone or going (GC removed or marked it meanwhile).
 */
async function linkBlob(tx: Transaction, repositoryId: number, digest: string): Promise<boolean> {
  const touched = await tx
    .update(blobs)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(blobs.digest, digest), eq(blobs.deleting, false)))
    .returning({ digest: blobs.digest });
  if (touched.length === 0) return false;
  await tx.insert(repositoryBlobs).values({ repositoryId, digest }).onConflictDoNothing();
  return true;
}
