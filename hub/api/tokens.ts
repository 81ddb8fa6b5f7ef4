/** `/api/v1/tokens`: the caller's refresh tokens (what `docker login` keeps), listed and revoked. */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { recordAction } from './audit-trail.ts';
import { pathParam } from './json.ts';

export function tokenListRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  const ownAccount = async (identityName: string) => access.accounts.require(identityName);

  app.get('/api/v1/tokens', async (c) => {
    const account = await ownAccount((await c.var.auth.requireAccount()).name);
    const tokens = await access.refreshTokens.list(account.id);
    return c.json({
      tokens: tokens.map((t) => ({
        id: t.id,
        createdAt: t.createdAt.toISOString(),
        expiresAt: t.expiresAt.toISOString(),
        lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
        userAgent: t.userAgent,
      })),
    });
  });

  app.delete('/api/v1/tokens/:id', async (c) => {
    const account = await ownAccount((await c.var.auth.requireAccount()).name);
    const id = pathParam(c, 'id');
    await access.refreshTokens.revoke(account.id, id);
    recordAction(access, c, 'token.revoke', { token: id });
    return c.body(null, 204);
  });

  return app;
}
