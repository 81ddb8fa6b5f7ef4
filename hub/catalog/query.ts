/** What the catalog's listings share: name search, byte-order sorting, paging. */
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/**
 * `%part%` for a case-insensitive LIKE, with the pattern's own `%`, `_` and `\` taken literally.
 *
 * @example
 * containsPattern('50%_off'); // '%50\\%\\_off%'
 */
export function containsPattern(part: string): string {
  return `%${part.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A byte-order comparison, so that name order is the same whatever the database collation. */
export function byteOrder(column: SQLWrapper): SQL {
  return sql`${column} collate "C"`;
}

/** A page of a listing: how many rows to skip and to take. */
export interface PageWindow {
  limit: number;
  offset: number;
}
