/**
 * Hono middleware: `authenticate` reads the credentials of every `/v2` and `/api/v1` request into
 * a {@link RequestAuth}; `repositoryAccess` guards one route by the action it performs and, where
 * asked, writes the outcome to the audit log.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { OciError } from '../oci/errors.ts';
import { repositoryName } from '../distribution/params.ts';
import type { AccessControl } from './access-control.ts';
import { InvalidTokenError } from './tokens.ts';
import { internalCaller, isInternalRequest } from '../internal-request.ts';
import { RequestAuth, type Credential } from './request-auth.ts';
import { namespaceOf } from './permissions.ts';
import type { RepositoryAction } from './scopes.ts';

/** The Hono environment of every guarded route: the request's access view under `auth`. */
export interface AuthEnv {
  Variables: { auth: RequestAuth };
}

/** The client's address; undefined outside a real server (tests calling `app.request`). */
export function clientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** `user:password` from a Basic header; undefined when the header is not one. */
export function parseBasic(header: string | undefined): { name: string; password: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * @example
 * app.use('/v2/*', authenticate(access));
 */
export function authenticate(access: AccessControl): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const challenge = { realm: access.realmFor(c), service: access.serviceFor(c) };
    const address = clientAddress(c);
    const make = (credential: Credential) => new RequestAuth(access, credential, address, challenge);
    if (!access.enabled) {
      c.set('auth', make({ kind: 'open' }));
      return next();
    }
    // The web catalog, calling in process for its signed-in viewer (or for nobody).
    const internal = internalCaller(c);
    if (internal) {
      c.set('auth', make(internal.account ? { kind: 'basic', account: internal.account } : { kind: 'none' }));
      return next();
    }
    const header = c.req.header('authorization');
    const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (bearer) {
      try {
        c.set('auth', make({ kind: 'bearer', claims: await access.tokens.verify(bearer, challenge.service) }));
      } catch (err) {
        if (!(err instanceof InvalidTokenError)) throw err;
        throw make({ kind: 'none' }).unauthorized(undefined, `${err.message}; get a new token`, 'invalid_token');
      }
      return next();
    }
    if (header) {
      const basic = parseBasic(header);
      if (!basic) throw make({ kind: 'none' }).unauthorized(undefined, 'the Authorization header is neither Basic nor Bearer credentials');
      c.set('auth', make({ kind: 'basic', account: await access.login(basic.name, basic.password, address) }));
      return next();
    }
    c.set('auth', make({ kind: 'none' }));
    return next();
  };
}

export interface RepositoryAccessOptions {
  /** Record the outcome in the audit log under this action (`pull`, `push`, `delete`). */
  audit?: string;
  /** Only for these methods (a route serving GET and HEAD audits GET alone). */
  auditMethods?: string[];
}

/**
 * Guards a `/v2/<name>/…` route: the repository name the handler will use must allow `action`.
 *
 * @example
 * app.put(`/v2/${NAME}/manifests/:reference`, repositoryAccess(access, 'push', { audit: 'push' }), handler);
 */
export function repositoryAccess(access: AccessControl, action: RepositoryAction, options: RepositoryAccessOptions = {}): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const name = repositoryName(c);
    const auth = c.var.auth;
    await auth.require(name, action);
    if (action === 'push' && !auth.open) {
      const identity = await auth.identity();
      await access.namespaces.ensure(namespaceOf(name), identity.kind === 'user' ? identity.name : undefined);
    }
    const audited = options.audit && (!options.auditMethods || options.auditMethods.includes(c.req.method));
    if (!audited) return next();
    let failure: unknown;
    try {
      await next();
    } catch (err) {
      failure = err;
    }
    const status = failure instanceof OciError ? failure.status : failure ? 500 : c.res.status;
    const actor = auth.actor;
    access.audit.record({
      actor: actor.name,
      actorKind: actor.kind,
      clientAddress: auth.clientAddress,
      action: options.audit ?? action,
      repository: name,
      reference: c.req.param('reference') ?? c.req.param('digest'),
      outcome: status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
      detail: auditDetail(status, failure, isInternalRequest(c)),
    });
    if (failure) throw failure;
  };
}

/** What a registry audit entry adds: why it failed, and `via: web` for the web catalog's reads, which show rather than pull. */
function auditDetail(status: number, failure: unknown, fromWeb: boolean): Record<string, unknown> | undefined {
  const detail = {
    ...(fromWeb ? { via: 'web' } : {}),
    ...(status < 400 ? {} : { status, ...(failure instanceof OciError ? { code: failure.code } : {}) }),
  };
  return Object.keys(detail).length > 0 ? detail : undefined;
}
