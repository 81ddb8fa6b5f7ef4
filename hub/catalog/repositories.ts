/**
 * Repositories as the catalog lists them: searched, filtered to what the caller may pull,
 * sorted and paged in the database, with their tag count, last push, stored size and latest tag.
 */
import { and, asc, count, desc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { RepositoryPage, RepositorySort, RepositorySummary } from '../client/catalog.ts';
import { repositories, tags } from '../db/schema.ts';
import type { RepositoryFilter } from '../registry/manifests.ts';
import { byteOrder, containsPattern, type PageWindow } from './query.ts';
import { summarizeTags, type CatalogBackends, type TagRow } from './summaries.ts';

export interface RepositoryListing extends PageWindow {
  q?: string;
  namespace?: string;
  sort: RepositorySort;
}

/** The repositories `visible` admits: in its namespaces, by name, or under its prefixes. */
function admits(visible: RepositoryFilter): SQL | undefined {
  const name = repositories.name;
  return or(
    sql`split_part(${name}, '/', 1) = any(${sql.param(visible.namespaces)}::text[])`,
    sql`${name} = any(${sql.param(visible.names)}::text[])`,
    sql`exists (select 1 from unnest(${sql.param(visible.prefixes)}::text[]) as prefix where starts_with(${name}, prefix))`,
  );
}

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(value as string).toISOString());

/**
 * The per-repository figures, as correlated subqueries on `repositories`: tags counted, the
 * newest tag push, and the bytes stored (each linked blob once, plus every manifest). Written
 * out with qualified names: drizzle leaves columns unqualified in a one-table select, which
 * inside these subqueries would name the inner table's columns.
 */
const figures = {
  id: repositories.id,
  name: repositories.name,
  tagCount: sql<number>`(select count(*) from tags t where t.repository_id = "repositories"."id")`.mapWith(Number).as('tag_count'),
  lastPushedAt: sql<string | null>`(select max(t.updated_at) from tags t where t.repository_id = "repositories"."id")`.mapWith(iso).as('last_pushed_at'),
  totalSize: sql<number>`((select coalesce(sum(b.size), 0) from repository_blobs rb join blobs b on b.digest = rb.digest
      where rb.repository_id = "repositories"."id" and not b.deleting)
    + (select coalesce(sum(m.size), 0) from manifests m where m.repository_id = "repositories"."id"))::float8`
    .mapWith(Number)
    .as('total_size'),
};

type FigureRow = { id: number; name: string; tagCount: number; lastPushedAt: string | null; totalSize: number };

/** Each repository's most recently pushed tag (ties: by name), described. */
async function withLatest(backends: CatalogBackends, rows: FigureRow[]): Promise<RepositorySummary[]> {
  const ids = rows.map((r) => r.id);
  const latest =
    ids.length === 0
      ? []
      : await backends.db
          .selectDistinctOn([tags.repositoryId], { repositoryId: tags.repositoryId, tag: tags.name, pushedAt: tags.updatedAt, manifestId: tags.manifestId })
          .from(tags)
          .where(inArray(tags.repositoryId, ids))
          .orderBy(tags.repositoryId, desc(tags.updatedAt), asc(byteOrder(tags.name)));
  const names = new Map(rows.map((r) => [r.id, r.name]));
  const tagRows: TagRow[] = latest.map((row) => ({ ...row, repository: names.get(row.repositoryId) ?? '' }));
  const summaries = await summarizeTags(backends, tagRows);
  const byRepository = new Map(tagRows.map((row, i) => [row.repositoryId, summaries[i] ?? null]));
  return rows.map((row) => ({
    name: row.name,
    namespace: row.name.split('/')[0] as string,
    tagCount: row.tagCount,
    lastPushedAt: row.lastPushedAt,
    totalSize: row.totalSize,
    latest: byRepository.get(row.id) ?? null,
  }));
}

/**
 * Repositories holding manifests that `visible` admits ('all': every one), matching `listing`.
 *
 * @example
 * const page = await searchRepositoryPage(backends, 'all', { q: 'app', sort: 'name', limit: 24, offset: 0 });
 */
export async function searchRepositoryPage(backends: CatalogBackends, visible: RepositoryFilter | 'all', listing: RepositoryListing): Promise<RepositoryPage> {
  const { db } = backends;
  const where = and(
    sql`exists (select 1 from manifests m where m.repository_id = "repositories"."id")`,
    visible === 'all' ? undefined : admits(visible),
    listing.q ? ilike(repositories.name, containsPattern(listing.q)) : undefined,
    listing.namespace ? sql`split_part(${repositories.name}, '/', 1) = ${listing.namespace}` : undefined,
  );
  const [counted] = await db.select({ total: count() }).from(repositories).where(where);
  const total = Number(counted?.total ?? 0);
  if (total === 0 || listing.offset >= total) return { total, repositories: [] };
  // Output columns are ordered by their names (SQL allows a bare output name in ORDER BY).
  const order: SQL[] =
    listing.sort === 'name'
      ? [asc(byteOrder(repositories.name))]
      : listing.sort === 'size'
        ? [sql`total_size desc`, asc(byteOrder(repositories.name))]
        : [sql`last_pushed_at desc nulls last`, asc(byteOrder(repositories.name))];
  const rows = await db
    .select(figures)
    .from(repositories)
    .where(where)
    .orderBy(...order)
    .limit(listing.limit)
    .offset(listing.offset);
  return { total, repositories: await withLatest(backends, rows) };
}

/**
 * One repository's figures and latest tag, by name; undefined when the Hub has no such repository.
 *
 * @example
 * const summary = await findRepositorySummary(backends, 'team/app');
 */
export async function findRepositorySummary(backends: CatalogBackends, name: string): Promise<(RepositorySummary & { id: number }) | undefined> {
  const [row] = await backends.db.select(figures).from(repositories).where(eq(repositories.name, name));
  if (!row) return undefined;
  const [summary] = await withLatest(backends, [row]);
  return summary ? { ...summary, id: row.id } : undefined;
}
