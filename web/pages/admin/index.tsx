/**
 * The catalog's governance pages for administrators, under `/admin`: health, users, namespaces,
 * robots, the vulnerability database and the audit log. Every route checks `requireAdmin`
 * first; the API checks again anyway.
 */
import { Hono } from 'hono';
import type { WebEnv } from '../../env.ts';
import { auditRoutes } from './audit.tsx';
import { healthRoutes } from './health.tsx';
import { namespaceRoutes } from './namespaces.tsx';
import { robotRoutes } from './robots.tsx';
import { userRoutes } from './users.tsx';
import { vulndbRoutes } from './vulndb.tsx';

export function adminRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.route('/', healthRoutes());
  app.route('/', userRoutes());
  app.route('/', namespaceRoutes());
  app.route('/', robotRoutes());
  app.route('/', vulndbRoutes());
  app.route('/', auditRoutes());
  return app;
}
