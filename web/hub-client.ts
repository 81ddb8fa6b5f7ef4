/**
 * The catalog reads and changes everything through the Hub's own HTTP API, as any client does:
 * a {@link HubClient} whose requests go into the Hub's app in process (no socket), on behalf of
 * the signed-in viewer's account (see hub/internal-request.ts). Access rules, validation and
 * audit are therefore the API's, with no second copy in the pages.
 */
import type { Context } from 'hono';
import type { AccessControl } from '../hub/auth/access-control.ts';
import { HubClient } from '../hub/client/client.ts';
import { internalEnv } from '../hub/internal-request.ts';
import type { Viewer } from './session.ts';

/** What the catalog needs of the Hub it is mounted in. */
export interface CatalogHub {
  access: AccessControl;
  /** The Hub app's own fetch: requests made here skip the network. */
  fetch(request: Request, env: unknown): Response | Promise<Response>;
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
  const env = internalEnv(c.env, viewer.account);
  const inProcessFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    // The Hub derives its token service name and links from the Host header, as for the page.
    const headers = new Headers(request.headers);
    headers.set('host', new URL(request.url).host);
    return hub.fetch(new Request(request, { headers }), env);
  };
  return new HubClient({ url: origin, fetch: inProcessFetch as typeof fetch, userAgent: 'nocker web' });
}
