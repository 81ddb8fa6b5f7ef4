/**
 * `GET /v2/`: the API version check every client starts with. It answers 401 without credentials:
 * that challenge is how clients (and `docker login`) learn where to get a token.
 */
import { Hono } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';

export function baseRoutes(): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/v2/', (c) => {
    c.var.auth.requireCredentials();
    return c.json({}, 200);
  });
  return app;
}
