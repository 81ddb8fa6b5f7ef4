/** The catalog's stylesheet and script, read once at start and served with an ETag. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

const FILES: Record<string, string> = { 'style.css': 'text/css; charset=utf-8', 'catalog.js': 'text/javascript; charset=utf-8' };

/** `GET /assets/:file` for the files above. */
export function assetRoutes(): Hono {
  const app = new Hono();
  const assets = new Map(
    Object.entries(FILES).map(([name, type]) => {
      const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
      return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` }] as const;
    }),
  );
  app.get('/assets/:file', (c) => {
    const asset = assets.get(c.req.param('file'));
    if (!asset) return c.text('no such asset', 404);
    const headers = { 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'public, max-age=3600' };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(asset.body), 200, headers);
  });
  return app;
}
