/**
 * The catalog's Environments and policies pages: the overview of every namespace's policies,
 * an image compared with each environment, and one namespace's policies (edited by its owners).
 * The modules are in `policies/`.
 */
import { Hono } from 'hono';
import type { WebEnv } from '../env.ts';
import { compareRoutes } from './policies/compare.tsx';
import { namespacePolicyRoutes } from './policies/namespace.tsx';
import { overviewRoutes } from './policies/overview.tsx';

export function policyRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.route('/', overviewRoutes());
  // Before `/policies/:namespace`, which would take `compare` for a namespace.
  app.route('/', compareRoutes());
  app.route('/', namespacePolicyRoutes());
  return app;
}
