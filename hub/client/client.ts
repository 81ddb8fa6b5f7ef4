/**
 * HubClient: the typed way to talk to a Nocker Hub (or any registry) — its `/api/v1` JSON API
 * with HTTP Basic credentials, and `/v2` requests through the Docker token handshake.
 */
import { OciError } from '../oci/errors.ts';
import { hubHost, normalizeHubUrl } from './address.ts';
import { findChallenge, type Challenge } from './challenge.ts';
import { errorFromResponse } from './errors.ts';
import { challengeScopes, requestToken, requestTokenWithRefreshToken, TokenCache } from './tokens.ts';

/**
 * A user or robot name and its password or secret; or, as `docker login` may leave them, the
 * name and an identity token (a refresh token traded for access tokens, no password kept).
 */
export interface Credentials {
  username: string;
  password: string;
  identityToken?: string;
}

/** The scope a bearer token needs for `/api/v1`. */
const API_SCOPE = 'registry:api:*';

export interface HubClientOptions {
  /** `http://127.0.0.1:5000`, or a bare `host:port` (see `normalizeHubUrl`). */
  url: string;
  credentials?: Credentials;
  /** Sent as `User-Agent`; the Hub shows it in its token list. */
  userAgent?: string;
  /**
   * The Nocker environment the images are for (production, development…), sent as
   * `Nocker-Environment` with `/v2` requests so that the Hub applies that environment's trust policy.
   */
  environment?: string;
  /** For tests: the fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** Options of a `/v2` request. */
export interface V2RequestInit {
  headers?: Record<string, string>;
  /** A stream is sent once: the client gets a token first instead of retrying after a 401. */
  body?: RequestInit['body'];
  signal?: AbortSignal;
  /**
   * The token scopes this request needs, separated by spaces; by default derived from the path.
   * Given explicitly, they are asked for together with whatever the Hub's challenge names: a
   * cross-repository mount needs pull on its source as well as push on its target.
   */
  scope?: string;
}

/** The Hub could not be reached at all (connection refused, DNS, TLS…). */
export class HubUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(`cannot reach the Hub at ${url}: ${reason}`, { cause });
    this.name = 'HubUnreachableError';
  }
}

const REPOSITORY_PATH = /^\/v2\/(.+)\/(?:manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/;

/**
 * The token scope a `/v2` request needs: `repository:NAME:pull` to read, `pull,push` to write,
 * `delete` to delete; `registry:catalog:*` for the catalog; none for `/v2/` itself.
 *
 * @example
 * scopeForRequest('PUT', '/v2/team/app/manifests/v1'); // 'repository:team/app:pull,push'
 */
export function scopeForRequest(method: string, path: string): string | undefined {
  const pathname = path.split('?')[0] ?? path;
  if (pathname === '/v2/_catalog') return 'registry:catalog:*';
  const match = REPOSITORY_PATH.exec(pathname);
  if (!match?.[1]) return undefined;
  const verb = method.toUpperCase();
  const actions = verb === 'GET' || verb === 'HEAD' ? 'pull' : verb === 'DELETE' ? 'delete' : 'pull,push';
  return `repository:${match[1]}:${actions}`;
}

function isReplayable(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof Blob || body instanceof URLSearchParams;
}

/**
 * @example
 * const client = new HubClient({ url: '127.0.0.1:5000', credentials: { username: 'admin', password } });
 * await client.checkLogin();
 * const me = await client.api<{ name: string }>('GET', '/api/v1/me');
 * const res = await client.v2('GET', '/v2/team/app/tags/list');
 */
export class HubClient {
  /** The Hub's base URL, e.g. `http://127.0.0.1:5000`. */
  readonly url: string;
  /** The Hub's `host:port`, its key in the Docker config. */
  readonly host: string;
  readonly #credentials: Credentials | undefined;
  readonly #fetch: typeof fetch;
  readonly #userAgent: string;
  readonly #environment: Record<string, string>;
  readonly #tokens = new TokenCache();
  /** The Hub's last bearer challenge: where tokens come from. */
  #bearer: Challenge | undefined;
  /** Set once the Hub asked for Basic credentials instead of tokens. */
  #basic = false;

  constructor(options: HubClientOptions) {
    this.url = normalizeHubUrl(options.url);
    this.host = hubHost(this.url);
    this.#credentials = options.credentials;
    this.#fetch = options.fetch ?? fetch;
    this.#userAgent = options.userAgent ?? 'nocker';
    this.#environment = options.environment ? { 'Nocker-Environment': options.environment } : {};
  }

  /** The user or robot this client acts as, if any. */
  get username(): string | undefined {
    return this.#credentials?.username;
  }

  /**
   * Calls a `/api/v1` JSON endpoint with the client's Basic credentials. Resolves to the parsed
   * body (`undefined` for an empty one); rejects with the Hub's error as an OciError.
   *
   * @example
   * await client.api('POST', '/api/v1/users', { name: 'ann', password: 's3cret' });
   */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    // With an identity token there is no password to send: a bearer token for the API instead.
    const authorization = this.#credentials?.identityToken ? await this.#authorizeAhead([API_SCOPE]) : this.#basicHeader().Authorization;
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.#userAgent, ...(authorization ? { Authorization: authorization } : {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await this.#send(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw await errorFromResponse(res, `${method} ${path}`);
    const text = await res.text();
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Sends a registry request, answering the Hub's challenge: on a 401 with a Bearer challenge it
   * gets a token for the challenged scope (with the credentials, or anonymously) and retries once;
   * on a Basic challenge it retries with the credentials. Tokens are kept per scope until they
   * expire. Resolves to the final response whatever its status; rejects when a token is refused.
   */
  async v2(method: string, path: string, init: V2RequestInit = {}): Promise<Response> {
    const scope = init.scope ?? scopeForRequest(method, path);
    const scopes = scope ? scope.split(' ').filter((s) => s !== '') : [];
    let authorization = this.#cachedAuthorization(scopes);
    if (!authorization && !isReplayable(init.body)) authorization = await this.#authorizeAhead(scopes);

    const send = (auth: string | undefined) =>
      this.#send(path, {
        method,
        headers: { 'User-Agent': this.#userAgent, ...this.#environment, ...init.headers, ...(auth ? { Authorization: auth } : {}) },
        body: init.body ?? undefined,
        signal: init.signal,
      });
    const first = await send(authorization);
    if (first.status !== 401 || !isReplayable(init.body)) return first;

    const challenge = first.headers.get('www-authenticate');
    const bearer = findChallenge(challenge, 'bearer');
    if (bearer) {
      const wanted = challengeScopes(bearer);
      const retryScopes = init.scope !== undefined ? [...new Set([...wanted, ...scopes])] : wanted.length > 0 ? wanted : scopes;
      if (authorization?.startsWith('Bearer ')) this.#tokens.delete(this.#tokenKey(bearer, retryScopes));
      this.#bearer = bearer;
      const token = await this.#fetchToken(bearer, retryScopes);
      await first.body?.cancel();
      return send(`Bearer ${token}`);
    }
    if (findChallenge(challenge, 'basic') && this.#credentials && !authorization?.startsWith('Basic ')) {
      this.#basic = true;
      await first.body?.cancel();
      return send(this.#basicHeader().Authorization);
    }
    return first;
  }

  /**
   * Checks the credentials with `GET /v2/` through the handshake. Resolves when the Hub accepts
   * them; rejects with an UNAUTHORIZED OciError saying so when it does not.
   */
  async checkLogin(): Promise<void> {
    const who = this.#credentials ? `the credentials of "${this.#credentials.username}"` : 'anonymous access';
    let res: Response;
    try {
      res = await this.v2('GET', '/v2/');
    } catch (err) {
      if (err instanceof OciError && err.status === 401) {
        throw new OciError('UNAUTHORIZED', `the Hub at ${this.host} did not accept ${who}: ${err.message}`, { status: 401, detail: err.detail });
      }
      throw err;
    }
    if (res.ok) {
      await res.body?.cancel();
      return;
    }
    const err = await errorFromResponse(res, 'GET /v2/');
    if (res.status === 401 || res.status === 403) {
      throw new OciError('UNAUTHORIZED', `the Hub at ${this.host} did not accept ${who}: ${err.message}`, { status: 401, detail: err.detail });
    }
    throw err;
  }

  async #send(path: string, init: RequestInit): Promise<Response> {
    if (!path.startsWith('/')) throw new TypeError(`a Hub path starts with "/": ${path}`);
    const streaming = init.body !== undefined && init.body !== null && !isReplayable(init.body);
    try {
      return await this.#fetch(`${this.url}${path}`, streaming ? { ...init, duplex: 'half' } as RequestInit : init);
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err;
      throw new HubUnreachableError(this.url, err);
    }
  }

  #basicHeader(): { Authorization: string } | Record<string, never> {
    if (!this.#credentials || this.#credentials.identityToken) return {};
    const { username, password } = this.#credentials;
    return { Authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` };
  }

  #tokenKey(challenge: Challenge, scopes: readonly string[]): string {
    return TokenCache.key(challenge.params.realm ?? '', challenge.params.service, scopes);
  }

  /** The Authorization a request can carry without asking first: a cached token, or Basic. */
  #cachedAuthorization(scopes: readonly string[]): string | undefined {
    if (this.#bearer) {
      const token = this.#tokens.get(this.#tokenKey(this.#bearer, scopes));
      if (token) return `Bearer ${token}`;
    }
    if (this.#basic) return this.#basicHeader().Authorization;
    return undefined;
  }

  /** For bodies that cannot be sent twice: learns the challenge from `GET /v2/`, then gets a token. */
  async #authorizeAhead(scopes: readonly string[]): Promise<string | undefined> {
    if (!this.#bearer && !this.#basic) {
      const probe = await this.#send('/v2/', { method: 'GET', headers: { 'User-Agent': this.#userAgent } });
      await probe.body?.cancel();
      const header = probe.headers.get('www-authenticate');
      this.#bearer = findChallenge(header, 'bearer');
      this.#basic = !this.#bearer && findChallenge(header, 'basic') !== undefined;
      if (probe.status !== 401) return undefined;
    }
    if (this.#bearer) return `Bearer ${await this.#fetchToken(this.#bearer, scopes)}`;
    return this.#basicHeader().Authorization;
  }

  async #fetchToken(challenge: Challenge, scopes: readonly string[]): Promise<string> {
    const key = this.#tokenKey(challenge, scopes);
    const cached = this.#tokens.get(key);
    if (cached) return cached;
    const headers = { 'User-Agent': this.#userAgent, ...this.#basicHeader() };
    const identityToken = this.#credentials?.identityToken;
    let answer: { token: string; expiresIn: number };
    try {
      answer = identityToken
        ? await requestTokenWithRefreshToken(this.#fetch, challenge, scopes, identityToken, headers)
        : await requestToken(this.#fetch, challenge, scopes, headers);
    } catch (err) {
      if (err instanceof OciError) throw err;
      throw new HubUnreachableError(challenge.params.realm ?? this.url, err);
    }
    this.#tokens.set(key, answer.token, answer.expiresIn);
    return answer.token;
  }
}
