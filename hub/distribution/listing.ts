/** `Link` headers for paginated listings (tags, catalog). */
import type { Page, PageRequest } from '../registry/pagination.ts';

/** `Link: <path?n=..&last=..>; rel="next"` when entries remain, else nothing. */
export function nextLink(path: string, request: PageRequest, page: Page): Record<string, string> {
  const last = page.items.at(-1);
  if (!page.more || last === undefined || request.limit === undefined) return {};
  const query = new URLSearchParams({ n: String(request.limit), last });
  return { Link: `<${path}?${query}>; rel="next"` };
}
