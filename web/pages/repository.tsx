/** Placeholder until this page lands. */
import { Hono } from 'hono';
import type { WebEnv } from '../env.ts';

export function repositoryRoutes(): Hono<WebEnv> {
  return new Hono<WebEnv>();
}

export function tagDeleteRoutes(): Hono<WebEnv> {
  return new Hono<WebEnv>();
}
