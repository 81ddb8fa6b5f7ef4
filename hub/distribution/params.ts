/** Route parameters, checked against the spec's grammar before any handler uses them. */
import type { Context } from 'hono';
import { OciError } from '../oci/errors.ts';
import { parseDigest } from '../oci/digest.ts';
import { validateRepositoryName } from '../oci/names.ts';

/** Route pattern for a repository name: one or more path components. */
export const NAME = ':name{.+}';

/** The repository name of the route; NAME_INVALID unless it follows the grammar. */
export function repositoryName(c: Context): string {
  const name = validateRepositoryName(c.req.param('name') ?? '');
  // The router decodes %XX; a name must appear literally, so `a%2Fb` is not `a/b`.
  if (!new URL(c.req.url).pathname.startsWith(`/v2/${name}/`)) {
    throw new OciError('NAME_INVALID', 'repository names cannot contain percent-encoded characters');
  }
  return name;
}

/** The digest of the route; DIGEST_INVALID unless it is a supported digest. */
export function digestParam(c: Context, key = 'digest'): string {
  return parseDigest(c.req.param(key) ?? '').value;
}

/**
 * `Range: bytes=start-end` (or `start-`, or `-suffix`) against a blob of `size` bytes. Headers
 * the Hub does not serve partially (another unit, several ranges) are ignored, as RFC 9110
 * allows: the whole blob is sent.
 */
export function parseRangeHeader(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const unit = /^\s*([A-Za-z][\w-]*)\s*=(.*)$/.exec(header);
  if (unit && unit[1]?.toLowerCase() !== 'bytes') return undefined;
  if (unit?.[2]?.includes(',')) return undefined;
  const match = unit ? /^(\d*)-(\d*)$/.exec(unit[2]?.trim() ?? '') : null;
  const unsatisfiable = () =>
    new OciError('RANGE_INVALID', `range "${header}" cannot be served from a blob of ${size} bytes`, {
      status: 416,
      headers: { 'Content-Range': `bytes */${size}` },
    });
  if (!match || (match[1] === '' && match[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(size - Number(match[2]), 0);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) throw unsatisfiable();
  return { start, end };
}
