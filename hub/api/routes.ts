/** The Hub's management API under `/api/v1`, one module per resource. */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { auditRoutes } from './audit.ts';
import { namespaceAuditRoutes } from './namespace-audit.ts';
import { namespaceRoutes } from './namespaces.ts';
import { policyRoutes } from './policies.ts';
import { robotRoutes } from './robots.ts';
import { tokenListRoutes } from './tokens.ts';
import { userRoutes } from './users.ts';

export function managementRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.route('/', userRoutes(access));
  app.route('/', namespaceRoutes(access));
  app.route('/', policyRoutes(access));
  app.route('/', robotRoutes(access));
  app.route('/', tokenListRoutes(access));
  app.route('/', auditRoutes(access));
  app.route('/', namespaceAuditRoutes(access));
  return app;
}
