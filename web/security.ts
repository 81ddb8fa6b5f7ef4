/**
 * The catalog's browser protections, for `/ui` alone (OCI clients never see them): a strict
 * Content-Security-Policy whose scripts need the page's nonce, the usual hardening headers, and
 * CSRF checks on every form post — the request must come from this origin and carry the token
 * that only pages of this origin can read.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import { OciError } from '../hub/oci/errors.ts';
import { UI_BASE } from './paths.ts';

/** The cookie holding this browser's CSRF token (double submit: forms send it back as a field). */
export const CSRF_COOKIE = 'nocker_csrf';
/** The form field every catalog form carries. */
export const CSRF_FIELD = '_csrf';

/**
 * Security headers with a per-response script nonce; `c.get('secureHeadersNonce')` holds it.
 * No inline styles, no inline handlers, no framing, forms only to this origin.
 */
export function catalogHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE, "'strict-dynamic'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
    referrerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    xFrameOptions: 'DENY',
  });
}

/** The nonce of this response's scripts. */
export function scriptNonce(c: Context): string {
  return (c.get('secureHeadersNonce') as string | undefined) ?? '';
}

function isSecure(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/** Options shared by the catalog's cookies: never readable by scripts, never sent to other paths. */
export function cookieOptions(c: Context, maxAge?: number) {
  return { path: UI_BASE, httpOnly: true, sameSite: 'Lax' as const, secure: isSecure(c), ...(maxAge === undefined ? {} : { maxAge }) };
}

/**
 * This browser's CSRF token, set on first sight. Pages render it into their forms with
 * {@link CSRF_FIELD}; {@link csrfProtection} compares it with the cookie.
 */
export function csrfToken(c: Context): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{32,}$/.test(existing)) return existing;
  const token = randomBytes(24).toString('base64url');
  setCookie(c, CSRF_COOKIE, token, { ...cookieOptions(c), sameSite: 'Strict' });
  // Later reads in this request see the new value.
  c.req.raw.headers.append('cookie', `${CSRF_COOKIE}=${token}`);
  return token;
}

function sameToken(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Refuses state-changing requests that are cross-site (by `Origin` or `Sec-Fetch-Site`) or that
 * lack the CSRF token, with 403 DENIED. Reads the form body, which handlers then read again.
 */
export function csrfProtection(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const origin = c.req.header('origin');
    const expectedOrigin = new URL(c.req.url).origin;
    if ((origin && origin !== expectedOrigin) || c.req.header('sec-fetch-site') === 'cross-site') {
      throw new OciError('DENIED', 'this form was sent from another site; open the page on this Hub and send it again');
    }
    const cookie = getCookie(c, CSRF_COOKIE) ?? '';
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = form[CSRF_FIELD];
    if (!cookie || typeof field !== 'string' || !sameToken(field, cookie)) {
      throw new OciError('DENIED', 'the form has expired or was not sent by this Hub\'s page; reload the page and try again');
    }
    return next();
  };
}
