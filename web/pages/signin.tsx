/** Sign in (name and password of a Hub user) and sign out. */
import { Hono } from 'hono';
import { CsrfField, Notice } from '../components.tsx';
import type { WebEnv } from '../env.ts';
import { UI_BASE, ui } from '../paths.ts';
import { signIn, signOut } from '../session.ts';
import { OciError } from '../../hub/oci/errors.ts';

/** Where to go after signing in: a catalog page, never another site. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith(`${UI_BASE}/`) || next.startsWith('//') || next.includes('\\')) return ui('/explore');
  return next;
}

const SignInForm = ({ next, name, error }: { next: string; name?: string; error?: string }) => (
  <section>
    <h1>Sign in</h1>
    {error ? <Notice kind="error">{error}</Notice> : null}
    <form method="post" action={ui('/signin')} class="stack">
      <CsrfField />
      <input type="hidden" name="next" value={next} />
      <label for="name">User name</label>
      <input id="name" name="name" autocomplete="username" required value={name ?? ''} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit" class="primary">
        Sign in
      </button>
    </form>
    <p class="muted">Robot accounts use the registry and the API; the catalog is for people.</p>
  </section>
);

export function signInRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/signin', (c) => {
    if (c.var.viewer.signedIn || c.var.viewer.open) return c.redirect(safeNext(c.req.query('next')));
    return c.render(<SignInForm next={safeNext(c.req.query('next'))} />, { title: 'Sign in', section: 'account' });
  });

  app.post('/signin', async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const next = safeNext(form.next);
    try {
      await signIn(c, c.var.catalog.access, name, password);
    } catch (err) {
      if (!(err instanceof OciError) || err.status >= 500) throw err;
      c.status(err.code === 'TOOMANYREQUESTS' ? 429 : 401);
      return c.render(<SignInForm next={next} name={name} error={err.message} />, { title: 'Sign in', section: 'account' });
    }
    return c.redirect(next, 303);
  });

  app.post('/signout', async (c) => {
    await signOut(c, c.var.catalog.access, c.var.session);
    return c.redirect(ui('/explore'), 303);
  });

  return app;
}
