/**
 * A repository's tags in detail, a page at a time: filtering, sorting, counting and paging are
 * done by the database (a repository may hold tens of thousands of tags), and only the page's
 * rows are then described (see summaries.ts).
 */
import { and, asc, count, desc, eq, ilike, sql, type SQL } from 'drizzle-orm';
import type { TagPage, TagSort } from '../client/catalog.ts';
import { tags } from '../db/schema.ts';
import { byteOrder, containsPattern, type PageWindow } from './query.ts';
import { manifestTotals } from './sizes.ts';
import { summarizeTags, type CatalogBackends } from './summaries.ts';

export interface TagListing extends PageWindow {
  q?: string;
  sort: TagSort;
  order: 'asc' | 'desc';
}

/**
 * One page of the tags of repository `repository` (row id `repositoryId`). Ties are broken by
 * name, so that pages never overlap.
 *
 * @example
 * const { total, tags } = await listTagPage(backends, { id: 3, name: 'team/app' }, { sort: 'pushed', order: 'desc', limit: 25, offset: 0 });
 */
export async function listTagPage(backends: CatalogBackends, repository: { id: number; name: string }, listing: TagListing): Promise<TagPage> {
  const { db } = backends;
  const where = and(eq(tags.repositoryId, repository.id), listing.q ? ilike(tags.name, containsPattern(listing.q)) : undefined);
  const direction = listing.order === 'asc' ? asc : desc;
  const byName = byteOrder(tags.name);
  const [counted] = await db.select({ total: count() }).from(tags).where(where);
  const total = Number(counted?.total ?? 0);
  if (total === 0 || listing.offset >= total) return { total, tags: [] };

  const columns = { tag: tags.name, pushedAt: tags.updatedAt, manifestId: tags.manifestId };
  let rows: { tag: string; pushedAt: Date; manifestId: number }[];
  if (listing.sort === 'size') {
    // Sizes of every manifest of the repository (there are usually far fewer than tags), joined.
    const order: SQL[] = [listing.order === 'asc' ? sql`manifest_totals.total asc` : sql`manifest_totals.total desc`, asc(byName)];
    rows = await db
      .select(columns)
      .from(tags)
      .leftJoin(manifestTotals({ repositoryId: repository.id }), sql`manifest_totals.id = ${tags.manifestId}`)
      .where(where)
      .orderBy(...order)
      .limit(listing.limit)
      .offset(listing.offset);
  } else {
    const order = listing.sort === 'name' ? [direction(byName)] : [direction(tags.updatedAt), asc(byName)];
    rows = await db.select(columns).from(tags).where(where).orderBy(...order).limit(listing.limit).offset(listing.offset);
  }
  const summaries = await summarizeTags(
    backends,
    rows.map((row) => ({ ...row, repositoryId: repository.id, repository: repository.name })),
  );
  return { total, tags: summaries.filter((tag) => tag !== null) };
}
