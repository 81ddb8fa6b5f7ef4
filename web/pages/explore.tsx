/** Placeholder until this page lands. */
import { Hono } from 'hono';
import type { WebEnv } from '../env.ts';

export function exploreRoutes(): Hono<WebEnv> {
  return new Hono<WebEnv>();
}
