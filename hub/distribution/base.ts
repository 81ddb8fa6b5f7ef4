/** `GET /v2/`: the API version check every client starts with. */
import { Hono } from 'hono';

export function baseRoutes(): Hono {
  const app = new Hono();
  app.get('/v2/', (c) => c.json({}, 200));
  return app;
}
