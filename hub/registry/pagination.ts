/** The `n` / `last` pagination shared by tag lists and the catalog. */
import { OciError } from '../oci/errors.ts';

export interface PageRequest {
  /** Most entries to return; undefined means all. */
  limit?: number;
  /** Return entries after this one, in lexical order. */
  last?: string;
}

export interface Page {
  items: string[];
  /** True when entries remain after the last one returned. */
  more: boolean;
}

/** Reads `n` and `last` query parameters; `n` must be a whole number. */
export function parsePageRequest(n: string | undefined, last: string | undefined): PageRequest {
  if (n === undefined || n === '') return { last: last || undefined };
  if (!/^\d{1,9}$/.test(n)) {
    throw new OciError('PAGINATION_NUMBER_INVALID', `n must be a whole number of entries below one billion, got "${n.slice(0, 20)}"`, {
      status: 400,
    });
  }
  return { limit: Number(n), last: last || undefined };
}

/** Trims one-too-many rows (fetched to learn whether more remain) into a Page. */
export function toPage(rows: string[], limit: number | undefined): Page {
  if (limit === undefined || rows.length <= limit) return { items: rows, more: false };
  return { items: rows.slice(0, limit), more: true };
}
