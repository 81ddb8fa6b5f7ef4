/**
 * The Hub web catalog: server-rendered pages (hono/jsx) mounted by the Hub under `/ui`. Every
 * page reads through the Hub's own API as the signed-in viewer (see hub-client.ts); this module
 * only wires the shared middleware and the page modules together.
 */
import { Hono } from 'hono';
import { jsx } from 'hono/jsx';
import { jsxRenderer } from 'hono/jsx-renderer';
import { assetRoutes } from './assets.ts';
import type { WebEnv } from './env.ts';
import { catalogClient, type CatalogHub } from './hub-client.ts';
import { Layout } from './layout.tsx';
import { renderError } from './pages/error.tsx';
import { signInRoutes } from './pages/signin.tsx';
import { exploreRoutes } from './pages/explore.tsx';
import { repositoryRoutes, tagDeleteRoutes } from './pages/repository.tsx';
import { artifactRoutes } from './pages/artifact/index.tsx';
import { policyRoutes } from './pages/policies.tsx';
import { adminRoutes } from './pages/admin/index.tsx';
import { ui } from './paths.ts';
import { catalogHeaders, csrfProtection, csrfToken } from './security.ts';
import { readSession } from './session.ts';
import { OciError } from '../hub/oci/errors.ts';

/**
 * @example
 * app.route(UI_BASE, webCatalog({ access, fetch: (request, env) => app.fetch(request, env) }));
 */
export function webCatalog(hub: CatalogHub): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.route('/', assetRoutes());
  app.use('*', catalogHeaders());
  app.use('*', readSession(hub.access));
  app.use('*', async (c, next) => {
    c.set('catalog', hub);
    c.set('csrf', csrfToken(c));
    c.set('hub', catalogClient(c, hub, c.var.viewer));
    c.header('Cache-Control', 'no-store');
    await next();
  });
  // The renderer first, so that even a refused form gets a whole page.
  app.use('*', jsxRenderer(({ children, title, section }) => jsx(Layout, { title, section }, children), { docType: true }));
  app.use('*', csrfProtection());

  app.get('/', (c) => c.redirect(ui('/explore')));
  app.route('/', signInRoutes());
  app.route('/', exploreRoutes());
  // Order matters: `/r/NAME/-/REF/delete`, then the artifact tabs `/r/NAME/-/REF[/TAB]`, then `/r/NAME`
  // (repository names hold slashes, so the most specific patterns go first).
  app.route('/', tagDeleteRoutes());
  app.route('/', artifactRoutes());
  app.route('/', repositoryRoutes());
  app.route('/', policyRoutes());
  app.route('/', adminRoutes());

  // Last: what no page above answered (the Hub's own notFound would answer in registry JSON).
  app.all('*', (c) => renderError(new OciError('UNSUPPORTED', `the catalog has no page at ${c.req.path}`, { status: 404 }), c));
  app.onError(renderError);
  return app;
}
