/** `GET /api/v1/audit`: the audit log for administrators, newest first, filtered and paged. */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuditQuery } from '../auth/audit.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { dateParam, numberParam } from './json.ts';

export function auditRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/api/v1/audit', async (c) => {
    await c.var.auth.requireAdmin();
    const query: AuditQuery = {
      repository: c.req.query('repository') || undefined,
      actor: c.req.query('actor') || undefined,
      action: c.req.query('action') || undefined,
      since: dateParam(c.req.query('since'), 'since'),
      until: dateParam(c.req.query('until'), 'until'),
      before: numberParam(c.req.query('before'), 'before'),
      limit: numberParam(c.req.query('limit'), 'limit'),
    };
    const page = await access.audit.query(query);
    return c.json({
      entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })),
      ...(page.next !== undefined ? { next: String(page.next) } : {}),
    });
  });
  return app;
}
