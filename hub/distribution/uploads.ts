/**
 * `/v2/<name>/blobs/uploads/`: starting uploads (monolithic, session or cross-repository mount),
 * sending chunks, reading progress, completing and cancelling.
 */
import { Hono, type Context } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import { repositoryAccess, type AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import { validateRepositoryName } from '../oci/names.ts';
import { parseDigest } from '../oci/digest.ts';
import type { Registry } from '../registry/registry.ts';
import { uploadHeaders, type ChunkRange } from '../registry/uploads.ts';
import type { BlobInfo } from '../registry/blobs.ts';
import { requestBody } from './body.ts';
import { NAME, repositoryName } from './params.ts';

export function uploadRoutes(registry: Registry, access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { uploads, blobs } = registry;
  const push = repositoryAccess(access, 'push');

  app.post(`/v2/${NAME}/blobs/uploads/`, push, async (c) => {
    const name = repositoryName(c);
    const mount = c.req.query('mount');
    const from = c.req.query('from');
    if (mount && (await mayMountFrom(c, from))) {
      const digest = parseDigest(mount).value;
      const mounted = await blobs.mount(name, digest, from ? validateRepositoryName(from) : undefined);
      if (mounted) return blobCreated(c, name, mounted);
      // Not mountable: fall through to an ordinary upload session, as the spec asks.
    }
    const digest = c.req.query('digest');
    const body = requestBody(c);
    if (digest) return blobCreated(c, name, await uploads.putWhole(name, digest, body));
    const state = await uploads.start(name);
    return c.body(null, 202, { ...uploadHeaders(name, state), 'Content-Length': '0' });
  });

  app.get(`/v2/${NAME}/blobs/uploads/:id`, push, async (c) => {
    const name = repositoryName(c);
    const state = await uploads.status(name, uploadId(c));
    return c.body(null, 204, { ...uploadHeaders(name, state), 'Content-Length': '0' });
  });

  app.patch(`/v2/${NAME}/blobs/uploads/:id`, push, async (c) => {
    const name = repositoryName(c);
    const id = uploadId(c);
    const range = parseContentRange(c.req.header('content-range'));
    const body = requestBody(c) ?? emptyBody();
    const state = await uploads.append(name, id, body, range);
    return c.body(null, 202, { ...uploadHeaders(name, state), 'Content-Length': '0' });
  });

  app.put(`/v2/${NAME}/blobs/uploads/:id`, push, async (c) => {
    const name = repositoryName(c);
    const id = uploadId(c);
    const digest = c.req.query('digest');
    if (!digest) throw new OciError('DIGEST_INVALID', 'the closing PUT of an upload needs a ?digest= query parameter');
    const range = parseContentRange(c.req.header('content-range'));
    return blobCreated(c, name, await uploads.finish(name, id, digest, requestBody(c), range));
  });

  app.delete(`/v2/${NAME}/blobs/uploads/:id`, push, async (c) => {
    const name = repositoryName(c);
    await uploads.cancel(name, uploadId(c));
    return c.body(null, 204);
  });

  return app;
}

/**
 * A mount links a blob the caller did not upload, so it must be able to read the source: a named
 * repository needs pull there; a mount without `from` (any repository holding the blob) is for
 * administrators and open Hubs alone. Otherwise the client simply uploads.
 */
async function mayMountFrom(c: Context<AuthEnv>, from: string | undefined): Promise<boolean> {
  const auth = c.var.auth;
  if (from === undefined) return auth.open || (await auth.identity()).admin;
  try {
    return await auth.can(validateRepositoryName(from), 'pull');
  } catch {
    return true; // an invalid name: let the mount itself report it
  }
}

function blobCreated(c: Context, name: string, blob: BlobInfo): Response {
  return c.body(null, 201, {
    Location: `/v2/${name}/blobs/${blob.digest}`,
    'Docker-Content-Digest': blob.digest,
    'Content-Length': '0',
  });
}

/** Upload ids are ours (UUIDs); anything else cannot name an upload. */
function uploadId(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new OciError('BLOB_UPLOAD_UNKNOWN', `"${id.slice(0, 80)}" is not an upload of this Hub`);
  }
  return id;
}

/** `Content-Range: <start>-<end>` of a chunk (a `bytes ` prefix and `/total` suffix are tolerated). */
function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (!header) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match || Number(match[2]) < Number(match[1])) {
    throw new OciError('RANGE_INVALID', `Content-Range "${header}" is not of the form <start>-<end>`, { status: 416 });
  }
  return { start: Number(match[1]), end: Number(match[2]) };
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
