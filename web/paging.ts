/** Page numbers of the catalog's paged lists, read from the query and summed up for the pager. */

/** Pages beyond this are refused rather than asked of the Hub (offsets stay reasonable). */
const MAX_PAGE = 100_000;

/**
 * A positive page number from the query, 1 when missing or nonsense.
 *
 * @example
 * pageNumber('3'); // 3
 * pageNumber('-1'); // 1
 */
export function pageNumber(value: string | undefined): number {
  const page = Number(value);
  return Number.isSafeInteger(page) && page >= 1 ? Math.min(page, MAX_PAGE) : 1;
}

/**
 * The pager's summary.
 *
 * @example
 * pageSummary(2, 160, 24); // 'Page 2 of 7'
 */
export function pageSummary(page: number, total: number, perPage: number): string {
  return `Page ${page} of ${Math.max(1, Math.ceil(total / perPage))}`;
}
