/** Repository rows: found by name, created on first push. */
import { eq } from 'drizzle-orm';
import type { Database, Transaction } from '../db/open.ts';
import { repositories } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';

type Queryable = Database | Transaction;

/** The id of repository `name`, or undefined when nothing was ever pushed there. */
export async function findRepositoryId(db: Queryable, name: string): Promise<number | undefined> {
  const [row] = await db.select({ id: repositories.id }).from(repositories).where(eq(repositories.name, name));
  return row?.id;
}

/** Like findRepositoryId, but a missing repository is NAME_UNKNOWN. */
export async function requireRepositoryId(db: Queryable, name: string): Promise<number> {
  const id = await findRepositoryId(db, name);
  if (id === undefined) throw new OciError('NAME_UNKNOWN', `repository ${name} is not known to this Hub`);
  return id;
}

/**
 * The id of repository `name`, creating it if needed. A plain read first: an upsert would lock
 * the repository's row until commit and make concurrent pushes into it wait for each other.
 */
export async function ensureRepositoryId(db: Queryable, name: string): Promise<number> {
  const existing = await findRepositoryId(db, name);
  if (existing !== undefined) return existing;
  const [created] = await db.insert(repositories).values({ name }).onConflictDoNothing().returning({ id: repositories.id });
  // Created by a concurrent push between the read and the insert.
  const id = created?.id ?? (await findRepositoryId(db, name));
  if (id === undefined) throw new Error(`repository ${name} could not be created`);
  return id;
}
