/**
 * Requests the Hub makes to itself: the web catalog calls the Hub's own API in process, marking
 * its requests in the Hono env (which no client can set) together with the account of the
 * signed-in viewer. Authentication takes that account as the caller, so every permission,
 * validation and audit rule is the API's own; the request log counts such a page once, and the
 * pull gates leave these reads alone — the catalog shows an image's policy verdict instead of
 * being refused it.
 */
import type { Context } from 'hono';
import type { AccountRow } from './auth/accounts.ts';

const INTERNAL_REQUEST = 'nockerInternalRequest';

interface InternalEnv {
  [INTERNAL_REQUEST]: { account?: AccountRow };
}

/**
 * The env for a request the Hub makes to itself on behalf of `account` (none: anonymous),
 * keeping the outer request's connection facts (the client address).
 *
 * @example
 * app.fetch(request, internalEnv(c.env, viewerAccount));
 */
export function internalEnv(outer: unknown, account: AccountRow | undefined): InternalEnv {
  const base = typeof outer === 'object' && outer !== null ? outer : {};
  return { ...base, [INTERNAL_REQUEST]: { account } };
}

/** Whether `c` is a request the Hub made to itself. */
export function isInternalRequest(c: Context): boolean {
  return internalCaller(c) !== undefined;
}

/** For a request the Hub made to itself: on whose behalf (account undefined: anonymous). */
export function internalCaller(c: Context): { account?: AccountRow } | undefined {
  const env = c.env as Partial<InternalEnv> | undefined;
  return typeof env === 'object' && env !== null ? env[INTERNAL_REQUEST] : undefined;
}
