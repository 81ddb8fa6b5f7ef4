/** Repository rows: found by name, created on first push. */
import { eq, sql } from 'drizzle-orm';
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

/** The id of repository `name`, creating it if needed, in one round trip. */
export async function ensureRepositoryId(db: Queryable, name: string): Promise<number> {
  const [row] = await db
    .insert(repositories)
    .values({ name })
    .onConflictDoUpdate({ target: repositories.name, set: { name: sql`excluded.name` } })
    .returning({ id: repositories.id });
  if (!row) throw new Error(`repository ${name} could not be created`);
  return row.id;
}
