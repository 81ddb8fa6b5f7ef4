/**
 * Who is looking at the catalog. Signing in checks the name and password like every other login
 * (same limits, same audit log), then keeps a short-lived refresh token as the session: the
 * cookie holds it sealed with the Hub's token key, so any replica reads it, and signing out (or
 * revoking the token in `nocker hub token`) ends the session everywhere.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AccessControl } from '../hub/auth/access-control.ts';
import { identityOf, loginRefusal, type AccountRow } from '../hub/auth/accounts.ts';
import { clientAddress } from '../hub/auth/middleware.ts';
import { ANONYMOUS, type Identity } from '../hub/auth/permissions.ts';
import { InvalidTokenError } from '../hub/auth/tokens.ts';
import { OciError } from '../hub/oci/errors.ts';
import { cookieOptions } from './security.ts';

export const SESSION_COOKIE = 'nocker_session';
/** A session lasts this long after sign-in. */
export const SESSION_SECONDS = 12 * 3600;
const SESSION_AUDIENCE = 'nocker-web-session';

/** The person (or nobody) a page is rendered for. */
export interface Viewer {
  identity: Identity;
  /** The signed-in account, on whose behalf the catalog calls the API. */
  account?: AccountRow;
  /** Signed in with a session (not anonymous, not an open Hub). */
  signedIn: boolean;
  /** Authentication is off: everyone may do everything, and there is nobody to sign in. */
  open: boolean;
  /** May see the administration pages. */
  admin: boolean;
}

export interface SessionEnv {
  Variables: { viewer: Viewer; session?: { token: string; accountId: number } };
}

const ANONYMOUS_VIEWER: Viewer = { identity: ANONYMOUS, signedIn: false, open: false, admin: false };
const OPEN_VIEWER: Viewer = { identity: { name: 'anonymous', kind: 'anonymous', admin: true }, signedIn: false, open: true, admin: true };

async function accountOfSession(access: AccessControl, sealed: string): Promise<{ account: AccountRow; token: string } | undefined> {
  try {
    const { session } = await access.tokens.unseal(sealed, SESSION_AUDIENCE);
    if (!session) return undefined;
    const accountId = await access.refreshTokens.redeem(session);
    const account = accountId === undefined ? undefined : await access.accounts.findById(accountId);
    if (!account || loginRefusal(account)) return undefined;
    return { account, token: session };
  } catch (err) {
    if (err instanceof InvalidTokenError) return undefined;
    throw err;
  }
}

/** Sets `viewer` (and `session`) for every catalog request; a stale cookie is cleared. */
export function readSession(access: AccessControl): MiddlewareHandler<SessionEnv> {
  return async (c, next) => {
    if (!access.enabled) {
      c.set('viewer', OPEN_VIEWER);
      return next();
    }
    const sealed = getCookie(c, SESSION_COOKIE);
    const found = sealed ? await accountOfSession(access, sealed) : undefined;
    if (sealed && !found) deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    if (!found) {
      c.set('viewer', ANONYMOUS_VIEWER);
      return next();
    }
    const identity = identityOf(found.account);
    c.set('viewer', { identity, account: found.account, signedIn: true, open: false, admin: identity.admin });
    c.set('session', { token: found.token, accountId: found.account.id });
    return next();
  };
}

/**
 * Checks the name and password and starts a session. Robots are CI identities: they use the
 * registry and the API, not the catalog.
 */
export async function signIn(c: Context, access: AccessControl, name: string, password: string): Promise<void> {
  const account = await access.login(name, password, clientAddress(c));
  if (account.kind !== 'user') throw new OciError('DENIED', 'robot accounts cannot sign in to the catalog; sign in as a person');
  const userAgent = `nocker web (${c.req.header('user-agent')?.slice(0, 120) ?? 'browser'})`;
  const token = await access.refreshTokens.issue(account.id, userAgent, SESSION_SECONDS * 1000);
  const sealed = await access.tokens.seal({ session: token, sub: account.name }, SESSION_AUDIENCE, SESSION_SECONDS);
  setCookie(c, SESSION_COOKIE, sealed, cookieOptions(c, SESSION_SECONDS));
  access.audit.record({ actor: account.name, actorKind: account.kind, clientAddress: clientAddress(c), action: 'login', outcome: 'success', detail: { via: 'web' } });
}

/** Ends the session: its token is revoked, so a copied cookie stops working too. */
export async function signOut(c: Context, access: AccessControl, session: SessionEnv['Variables']['session']): Promise<void> {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
  if (!session) return;
  const id = session.token.split('.')[0] ?? '';
  await access.refreshTokens.revoke(session.accountId, id).catch(() => undefined);
}
