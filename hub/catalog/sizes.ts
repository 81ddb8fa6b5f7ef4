/**
 * How many bytes a manifest stands for, computed in the database: the manifest itself, the
 * blobs it references (config and layers, as stored: foreign layers are not), and for an index
 * the same total of each image it lists in the same repository. Nested indexes count one level
 * of children, which is every index a build tool pushes.
 *
 * Written as SQL text with qualified names: drizzle renders the columns of aliased subqueries
 * unqualified, which is ambiguous in the self-join this needs.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { rowsOf } from '../scanning/queue.ts';

/** Which manifests to total: all of one repository's (to sort by size), or a few by id (a page's rows). */
export type SizeScope = { repositoryId: number } | { manifestIds: number[] };

/**
 * A derived table `manifest_totals(id, total)` for the manifests in `scope`, to join on a
 * manifest id.
 *
 * @example
 * db.select({ name: tags.name }).from(tags).leftJoin(manifestTotals({ repositoryId: 7 }), sql`manifest_totals.id = ${tags.manifestId}`);
 */
export function manifestTotals(scope: SizeScope): SQL {
  // The rows themselves and, for indexes among them, the children they list.
  const restrict =
    'repositoryId' in scope
      ? sql`m.repository_id = ${scope.repositoryId}`
      : sql`(m.id = any(${sql.param(scope.manifestIds)}::bigint[]) or m.digest in (
          select r.digest from manifest_references r where r.manifest_id = any(${sql.param(scope.manifestIds)}::bigint[]) and r.kind = 'manifest'))`;
  return sql`(
    with own as (
      select m.id, m.repository_id, m.digest, m.size + coalesce(sum(b.size), 0) as bytes
      from manifests m
      left join manifest_references r on r.manifest_id = m.id and r.kind = 'blob'
      left join blobs b on b.digest = r.digest
      where ${restrict}
      group by m.id
    )
    select parent.id, (parent.bytes + coalesce(sum(child.bytes), 0))::float8 as total
    from own parent
    left join manifest_references listed on listed.manifest_id = parent.id and listed.kind = 'manifest'
    left join own child on child.digest = listed.digest and child.repository_id = parent.repository_id
    group by parent.id, parent.bytes
  ) manifest_totals`;
}

/**
 * The totals of a few manifests, by id.
 *
 * @example
 * const sizes = await manifestSizes(db, [12, 13]); // Map { 12 => 3391, 13 => 1210 }
 */
export async function manifestSizes(db: Database, manifestIds: number[]): Promise<Map<number, number>> {
  if (manifestIds.length === 0) return new Map();
  // The derived table also totals the children it needed; only the rows asked for are kept.
  const wanted = new Set(manifestIds);
  const rows = rowsOf<{ id: number | string; total: number | string }>(await db.execute(sql`select id, total from ${manifestTotals({ manifestIds })}`));
  return new Map(rows.filter((row) => wanted.has(Number(row.id))).map((row) => [Number(row.id), Number(row.total)]));
}
