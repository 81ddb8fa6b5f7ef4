/**
 * The token half of the Docker registry handshake: asking a realm for a bearer token for some
 * scopes, and remembering tokens until shortly before they expire.
 */
import { OciError } from '../oci/errors.ts';
import type { Challenge } from './challenge.ts';
import { errorFromResponse } from './errors.ts';

/** What the token endpoint answers (`token` and `access_token` carry the same value). */
export interface TokenResponse {
  token?: string;
  access_token?: string;
  expires_in?: number;
  issued_at?: string;
}

/** The registry token specification's default lifetime, for answers that leave it out. */
const DEFAULT_LIFETIME_S = 60;
/** Tokens are dropped this long before they expire, so that a request never carries a stale one. */
const EXPIRY_MARGIN_MS = 10_000;

/**
 * Bearer tokens by realm, service and scope.
 *
 * @example
 * const cache = new TokenCache();
 * cache.set(key, 'eyJ…', 300);
 * cache.get(key); // 'eyJ…' for the next 290 seconds
 */
export class TokenCache {
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The key of a token: where it came from and what it is for. */
  static key(realm: string, service: string | undefined, scopes: readonly string[]): string {
    return JSON.stringify([realm, service ?? '', [...scopes].sort()]);
  }

  get(key: string): string | undefined {
    const entry = this.#tokens.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#tokens.delete(key);
      return undefined;
    }
    return entry.token;
  }

  set(key: string, token: string, expiresInSeconds: number = DEFAULT_LIFETIME_S): void {
    const lifetimeMs = Math.max(0, expiresInSeconds) * 1000;
    // Short-lived tokens keep half their life rather than none.
    const usableMs = lifetimeMs > 2 * EXPIRY_MARGIN_MS ? lifetimeMs - EXPIRY_MARGIN_MS : lifetimeMs / 2;
    this.#tokens.set(key, { token, expiresAt: this.now() + usableMs });
  }

  delete(key: string): void {
    this.#tokens.delete(key);
  }
}

/** Splits a challenge's `scope` parameter (scopes are separated by spaces) into scopes. */
export function challengeScopes(challenge: Challenge): string[] {
  return (challenge.params.scope ?? '').split(' ').filter((s) => s !== '');
}

/** The URL of a token request: the realm with `service` and one `scope` parameter per scope. */
export function tokenUrl(challenge: Challenge, scopes: readonly string[]): URL {
  const realm = challenge.params.realm;
  if (!realm) throw new OciError('UNAUTHORIZED', 'the Hub asked for a bearer token but named no realm to get it from');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new OciError('UNAUTHORIZED', `the Hub named a token realm that is not a URL: "${realm}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OciError('UNAUTHORIZED', `the Hub named a token realm that is not http(s): "${realm}"`);
  }
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return url;
}

/**
 * Asks the challenge's realm for a token, with `authorization` (Basic) when given, else
 * anonymously. Failures are OciErrors with the realm's message and status (401 for refused
 * credentials, 429 with `Retry-After` when rate limited).
 */
export async function requestToken(
  fetchImpl: typeof fetch,
  challenge: Challenge,
  scopes: readonly string[],
  headers: Record<string, string>,
): Promise<{ token: string; expiresIn: number }> {
  const url = tokenUrl(challenge, scopes);
  return readTokenAnswer(url, await fetchImpl(url, { headers: { Accept: 'application/json', ...headers } }));
}

/**
 * Trades a refresh token (the identity token `docker login` keeps) for an access token: the
 * OAuth2 form `grant_type=refresh_token` POSTed to the challenge's realm.
 */
export async function requestTokenWithRefreshToken(
  fetchImpl: typeof fetch,
  challenge: Challenge,
  scopes: readonly string[],
  refreshToken: string,
  headers: Record<string, string>,
): Promise<{ token: string; expiresIn: number }> {
  const url = tokenUrl(challenge, []);
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'nocker' });
  if (challenge.params.service) form.set('service', challenge.params.service);
  if (scopes.length > 0) form.set('scope', scopes.join(' '));
  const target = new URL(url.pathname, url);
  const res = await fetchImpl(target, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form.toString(),
  });
  return readTokenAnswer(target, res);
}

async function readTokenAnswer(url: URL, res: Response): Promise<{ token: string; expiresIn: number }> {
  if (!res.ok) {
    const err = await errorFromResponse(res, 'the token request');
    const retryAfter = res.headers.get('retry-after');
    if (res.status === 429 && retryAfter) {
      throw new OciError(err.code, `${err.message} (retry after ${retryAfter} s)`, { status: err.status, detail: err.detail, headers: err.headers });
    }
    throw err;
  }
  const body = (await res.json().catch(() => ({}))) as TokenResponse;
  const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new OciError('UNAUTHORIZED', `the token endpoint ${url.origin}${url.pathname} answered without a token`);
  }
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_LIFETIME_S;
  return { token, expiresIn };
}
