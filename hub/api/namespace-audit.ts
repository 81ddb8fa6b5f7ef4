/**
 * `GET /api/v1/namespaces/:namespace/audit`: the audit log of one namespace, for its owners and
 * administrators — the changes to its settings, members and policies, which an owner answers
 * for but cannot read in the administrators' `/api/v1/audit`. Same shape and paging as that one.
 */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { numberParam } from './json.ts';
import { managedNamespace } from './namespace-access.ts';

/**
 * @example
 * app.route('/', namespaceAuditRoutes(access));
 */
export function namespaceAuditRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/api/v1/namespaces/:namespace/audit', async (c) => {
    const namespace = await managedNamespace(c, 'namespace.audit', (name) => `only owners of ${name} and administrators may read its audit log`);
    const page = await access.audit.query({
      namespace,
      // `action` may be given several times: entries of any of them.
      action: c.req.queries('action')?.filter((a) => a !== ''),
      before: numberParam(c.req.query('before'), 'before'),
      limit: numberParam(c.req.query('limit'), 'limit'),
    });
    return c.json({
      entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })),
      ...(page.next !== undefined ? { next: String(page.next) } : {}),
    });
  });
  return app;
}
