/**
 * `/v2/<name>/blobs/<digest>`: GET (whole or ranged), HEAD and DELETE of a blob. A whole-blob GET
 * answers 307 to the store's presigned URL when the store hands one out (S3 with redirects on).
 */
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import { repositoryAccess, type AuthEnv } from '../auth/middleware.ts';
import type { Registry } from '../registry/registry.ts';
import { NAME, digestParam, parseRangeHeader, repositoryName } from './params.ts';

export function blobRoutes(registry: Registry, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get(`/v2/${NAME}/blobs/:digest`, repositoryAccess(access, 'pull'), async (c) => {
    const name = repositoryName(c);
    const digest = digestParam(c);
    const blob = await registry.blobs.stat(name, digest);
    const range = parseRangeHeader(c.req.header('range'), blob.size);
    const headers: Record<string, string> = {
      'Docker-Content-Digest': digest,
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${digest}"`,
      'Cache-Control': 'max-age=31536000',
    };
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${blob.size}`;
    headers['Content-Length'] = String(range ? range.end - range.start + 1 : blob.size);
    const status = range ? 206 : 200;
    if (c.req.method === 'HEAD') return new Response(null, { status, headers });
    if (!range) {
      // Like CNCF Distribution's redirect option: the client fetches the bytes from storage.
      const location = await registry.blobs.redirectUrl(digest);
      if (location !== undefined) return new Response(null, { status: 307, headers: { Location: location, 'Docker-Content-Digest': digest } });
    }
    const stream = await registry.blobs.read(digest, range);
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
  });

  app.delete(`/v2/${NAME}/blobs/:digest`, repositoryAccess(access, 'delete', { audit: 'delete' }), async (c) => {
    const name = repositoryName(c);
    const digest = digestParam(c);
    await registry.blobs.unlink(name, digest);
    return c.body(null, 202, { 'Docker-Content-Digest': digest });
  });

  return app;
}
