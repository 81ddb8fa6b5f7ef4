/**
 * Test support for the catalog: a browser-like session against a test Hub — cookies kept
 * between requests, the CSRF token read from the page, forms posted as a browser posts them.
 */
import { TEST_ADMIN } from '../conformance/helpers.ts';
import { CSRF_COOKIE, CSRF_FIELD } from './security.ts';

export interface CatalogBrowser {
  get(path: string): Promise<Response>;
  /** Posts a form with the CSRF token added, from this origin (as a browser would). */
  post(path: string, fields: Record<string, string>, options?: { origin?: string; csrf?: string | null }): Promise<Response>;
  signIn(name?: string, password?: string): Promise<Response>;
  cookies: Map<string, string>;
}

/**
 * @example
 * const browser = catalogBrowser(hub.url);
 * await browser.signIn();
 * const page = await (await browser.get('/ui/explore')).text();
 */
export function catalogBrowser(base: string): CatalogBrowser {
  const cookies = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const browser: CatalogBrowser = {
    cookies,
    async get(path) {
      return remember(await fetch(`${base}${path}`, { headers: { cookie: cookieHeader() }, redirect: 'manual' }));
    },
    async post(path, fields, options = {}) {
      if (!cookies.has(CSRF_COOKIE)) await browser.get('/ui/signin');
      const csrf = options.csrf === undefined ? cookies.get(CSRF_COOKIE) : options.csrf;
      const body = new URLSearchParams({ ...fields, ...(csrf === null || csrf === undefined ? {} : { [CSRF_FIELD]: csrf }) });
      return remember(
        await fetch(`${base}${path}`, {
          method: 'POST',
          body,
          redirect: 'manual',
          headers: { cookie: cookieHeader(), origin: options.origin ?? base, 'content-type': 'application/x-www-form-urlencoded' },
        }),
      );
    },
    signIn(name = TEST_ADMIN.username, password = TEST_ADMIN.password) {
      return browser.post('/ui/signin', { name, password, next: '/ui/explore' });
    },
  };
  return browser;
}
