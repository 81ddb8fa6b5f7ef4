/**
 * The token endpoint of the Docker token specification: `GET /token` (Basic credentials or
 * anonymous, `scope` parameters) and `POST /token` (OAuth2 form: `grant_type=password` or
 * `refresh_token`, as `docker login` sends it); and `/.well-known/jwks.json`, the public keys
 * that verify the tokens, for other services.
 */
import { Hono, type Context } from 'hono';
import { OciError } from '../oci/errors.ts';
import { identityOf, loginRefusal, type AccountRow } from './accounts.ts';
import type { AccessControl } from './access-control.ts';
import { clientAddress, parseBasic } from './middleware.ts';
import { ANONYMOUS } from './permissions.ts';
import { formatScope, parseScopes } from './scopes.ts';

export function tokenRoutes(access: AccessControl): Hono {
  const app = new Hono();

  app.get('/token', async (c) => {
    const service = c.req.query('service') ?? '';
    const header = c.req.header('authorization');
    const basic = parseBasic(header);
    if (header && !basic) throw new OciError('UNAUTHORIZED', 'the token endpoint takes Basic credentials or none');
    const account = basic ? await access.login(basic.name, basic.password, clientAddress(c)) : undefined;
    const offline = c.req.query('offline_token') === 'true';
    return c.json(await respond(c, access, account, c.req.queries('scope') ?? [], service, offline && account !== undefined));
  });

  app.post('/token', async (c) => {
    const form = await c.req.parseBody({ all: true }).catch(() => {
      throw new OciError('UNSUPPORTED', 'send the token request as application/x-www-form-urlencoded', { status: 400 });
    });
    const field = (name: string) => {
      const value = form[name];
      return typeof value === 'string' ? value : undefined;
    };
    const service = field('service') ?? '';
    const scopes = ([] as unknown[]).concat(form.scope ?? []).filter((s): s is string => typeof s === 'string');
    const grantType = field('grant_type');
    if (grantType === 'password') {
      const username = field('username');
      const password = field('password');
      if (!username || password === undefined) throw new OciError('UNAUTHORIZED', 'grant_type=password needs username and password', { status: 400 });
      const account = await access.login(username, password, clientAddress(c));
      return c.json(await respond(c, access, account, scopes, service, field('access_type') === 'offline'));
    }
    if (grantType === 'refresh_token') {
      const token = field('refresh_token') ?? '';
      const accountId = await access.refreshTokens.redeem(token);
      const account = accountId === undefined ? undefined : await access.accounts.findById(accountId);
      const refusal = account ? loginRefusal(account) : 'the refresh token is unknown, expired or revoked; log in again';
      if (!account || refusal) throw new OciError('UNAUTHORIZED', refusal ?? 'log in again');
      const response = await respond(c, access, account, scopes, service, false);
      return c.json({ ...response, refresh_token: token });
    }
    throw new OciError('UNSUPPORTED', `grant_type must be password or refresh_token, not ${grantType ?? '(none)'}`, { status: 400 });
  });

  app.get('/.well-known/jwks.json', async (c) => c.json({ keys: await access.keys.all() }));

  return app;
}

/** The token response; a request naming another service than this Hub's is refused. */
async function respond(c: Context, access: AccessControl, account: AccountRow | undefined, scopeParams: string[], requestedService: string, offline: boolean) {
  const service = access.serviceFor(c);
  if (requestedService && requestedService !== service) {
    throw new OciError('REQUEST_INVALID', `this Hub issues tokens for service "${service}", not "${requestedService}"`);
  }
  const identity = account ? identityOf(account) : ANONYMOUS;
  const granted = await access.grant(identity, parseScopes(scopeParams));
  const issued = await access.tokens.issue({
    subject: identity.name,
    kind: identity.kind,
    access: granted,
    audience: service,
    notAfter: account?.expiresAt ?? undefined,
  });
  if (account) {
    access.audit.record({
      actor: account.name,
      actorKind: account.kind,
      clientAddress: clientAddress(c),
      action: 'login',
      outcome: 'success',
      detail: { scope: granted.map(formatScope) },
    });
  }
  const refreshToken = offline && account ? await access.refreshTokens.issue(account.id, c.req.header('user-agent')) : undefined;
  return {
    token: issued.token,
    access_token: issued.token,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    issued_at: issued.issuedAt.toISOString(),
    scope: granted.map(formatScope).join(' '),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}
