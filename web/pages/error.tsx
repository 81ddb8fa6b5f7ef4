/** The catalog's error page: the Hub's message in words, and sign-in when that would help. */
import type { Context } from 'hono';
import { Notice } from '../components.tsx';
import type { WebEnv } from '../env.ts';
import { ui } from '../paths.ts';
import { OciError } from '../../hub/oci/errors.ts';
import { toOciError } from '../../hub/distribution/errors.ts';

const TITLES: Record<number, string> = { 400: 'Bad request', 401: 'Sign in needed', 403: 'Not allowed', 404: 'Not found', 429: 'Too many requests' };

/** Renders anything a catalog route threw as a page with the matching status. */
export function renderError(err: unknown, c: Context<WebEnv>): Response | Promise<Response> {
  const oci = toOciError(err);
  if (oci.code === 'INTERNAL') console.error(JSON.stringify({ level: 'error', method: c.req.method, path: c.req.path, error: String((err as Error)?.stack ?? err) }));
  const viewer = c.var.viewer;
  // Hidden and missing look the same to an anonymous visitor: offer to sign in.
  const offerSignIn = viewer && !viewer.signedIn && !viewer.open && (oci.status === 401 || oci.status === 403 || oci.status === 404);
  const title = TITLES[oci.status] ?? (oci.status >= 500 ? 'Something went wrong' : 'Request refused');
  c.status(oci.status as 400);
  if (!viewer) return c.text(oci.message);
  return c.render(
    <section>
      <h1>{title}</h1>
      <Notice kind="error">{oci.message}</Notice>
      {offerSignIn ? (
        <p>
          Private repositories and pages need an account: <a href={ui('/signin', { next: c.req.method === 'GET' ? c.req.path : undefined })}>sign in</a>.
        </p>
      ) : null}
      <p>
        <a href={ui('/explore')}>Back to the catalog</a>
      </p>
    </section>,
    { title },
  );
}

/** A page that needs the viewer to be signed in (or an open Hub). */
export function requireSignedIn(c: Context<WebEnv>): void {
  if (!c.var.viewer.signedIn && !c.var.viewer.open) throw new OciError('UNAUTHORIZED', 'sign in to see this page');
}

/** A page for administrators only. */
export function requireAdmin(c: Context<WebEnv>): void {
  requireSignedIn(c);
  if (!c.var.viewer.admin) throw new OciError('DENIED', 'only administrators may see this page');
}
