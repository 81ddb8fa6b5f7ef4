/**
 * The catalog reads and changes everything through the Hub's own HTTP API, as any client does:
 * a {@link HubClient} whose requests go into the Hub's app in process (no socket), each carrying
 * a token the Hub issues for the viewer with just the scope that request needs. Access rules,
 * validation and audit are therefore the API's, with no second copy in the pages.
 */
import type { Context } from 'hono';
import type { AccessControl } from '../hub/auth/access-control.ts';
import { API_SCOPE, CATALOG_SCOPE, formatScope, parseScopes } from '../hub/auth/scopes.ts';
import { HubClient, scopeForRequest } from '../hub/client/client.ts';
import { INTERNAL_REQUEST } from '../hub/internal-request.ts';
import type { Viewer } from './session.ts';

/** What the catalog needs of the Hub it is mounted in. */
export interface CatalogHub {
  access: AccessControl;
  /** The Hub app's own fetch: requests made here skip the network. */
  fetch(request: Request, env: unknown): Response | Promise<Response>;
}


function scopeOf(method: string, path: string): string | undefined {
  if (path.startsWith('/api/')) return formatScope(API_SCOPE);
  const pathname = path.split('?')[0] ?? path;
  if (pathname === '/v2/_catalog') return formatScope(CATALOG_SCOPE);
  return scopeForRequest(method, path);
}

/**
 * A client acting as `viewer` for one page request.
 *
 * @example
 * const hub = catalogClient(c, catalogHub, c.var.viewer);
 * const tags = await listTags(hub, 'team/app');
 */
export function catalogClient(c: Context, hub: CatalogHub, viewer: Viewer): HubClient {
  const origin = new URL(c.req.url).origin;
  const audience = hub.access.serviceFor(c);
  const tokens = new Map<string, Promise<string | undefined>>();
  const env = { ...(typeof c.env === 'object' && c.env !== null ? c.env : {}), [INTERNAL_REQUEST]: true };

  const bearer = (scope: string): Promise<string | undefined> => {
    let token = tokens.get(scope);
    if (!token) {
      token = (async () => {
        const granted = await hub.access.grant(viewer.identity, parseScopes([scope]));
        if (granted.length === 0) return undefined;
        const issued = await hub.access.tokens.issue({ subject: viewer.identity.name, kind: viewer.identity.kind, access: granted, audience });
        return issued.token;
      })();
      tokens.set(scope, token);
    }
    return token;
  };

  const inProcessFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const scope = viewer.open ? undefined : scopeOf(request.method, `${url.pathname}${url.search}`);
    const token = scope ? await bearer(scope) : undefined;
    const headers = new Headers(request.headers);
    headers.set('host', url.host);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return hub.fetch(new Request(request, { headers }), env);
  };

  return new HubClient({ url: origin, fetch: inProcessFetch as typeof fetch, userAgent: 'nocker web' });
}
