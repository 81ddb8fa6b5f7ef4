/** The page shell every catalog page is rendered into: head, navigation, main, footer. */
import type { Child, FC } from 'hono/jsx';
import { useRequestContext } from 'hono/jsx-renderer';
import type { PageProps, WebEnv } from './env.ts';
import { CsrfField } from './components.tsx';
import { ui } from './paths.ts';
import { scriptNonce } from './security.ts';

/** Bumped with the stylesheet and script, so browsers fetch them again. */
export const ASSET_VERSION = '2';

const NavLink: FC<{ href: string; current: boolean; children: Child }> = ({ href, current, children }) => (
  <a href={href} aria-current={current ? 'page' : undefined}>
    {children}
  </a>
);

export const Layout: FC<PageProps & { children?: Child }> = ({ title, section, children }) => {
  const c = useRequestContext<WebEnv>();
  const viewer = c.var.viewer;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · Nocker Hub`}</title>
        {/* No icon: an empty one keeps browsers from asking for /favicon.ico. */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={ui('/assets/style.css', { v: ASSET_VERSION })} />
        <script src={ui('/assets/catalog.js', { v: ASSET_VERSION })} nonce={scriptNonce(c)} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <nav aria-label="Main">
            <a class="brand" href={ui('/')}>
              Nocker Hub
            </a>
            <NavLink href={ui('/explore')} current={section === 'explore'}>
              Explore
            </NavLink>
            {viewer.signedIn || viewer.open ? (
              <NavLink href={ui('/policies')} current={section === 'policies'}>
                Policies
              </NavLink>
            ) : null}
            {viewer.admin ? (
              <NavLink href={ui('/admin')} current={section === 'admin'}>
                Administration
              </NavLink>
            ) : null}
            <span class="spacer"></span>
            {viewer.signedIn ? (
              <form method="post" action={ui('/signout')} class="inline">
                <CsrfField />
                <span class="who">{viewer.identity.name}</span> <button type="submit">Sign out</button>
              </form>
            ) : viewer.open ? (
              <span class="who">authentication off</span>
            ) : (
              <NavLink href={ui('/signin', { next: c.req.path })} current={section === 'account'}>
                Sign in
              </NavLink>
            )}
          </nav>
        </header>
        <main id="main">{children}</main>
        <footer>
          <small>
            Nocker Hub · <a href="/v2/">OCI distribution API</a> · <a href="/metrics">metrics</a>
          </small>
        </footer>
      </body>
    </html>
  );
};
