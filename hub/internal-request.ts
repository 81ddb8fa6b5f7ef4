/**
 * Requests the Hub makes to itself: the web catalog calls the Hub's own API in process, marking
 * its requests in the Hono env. The request log counts such a page once, and the pull gates
 * leave them alone — the catalog shows an image's policy verdict instead of being refused it.
 */
import type { Context } from 'hono';

export const INTERNAL_REQUEST = 'nockerInternalRequest';

/** Whether `c` is a request the Hub made to itself. */
export function isInternalRequest(c: Context): boolean {
  const env = c.env as Record<string, unknown> | undefined;
  return typeof env === 'object' && env !== null && env[INTERNAL_REQUEST] === true;
}
