/** Reading request bodies: streamed into storage, or bounded in memory for small documents. */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { OciError } from '../oci/errors.ts';
import { readAtMost } from '../oci/read-at-most.ts';

/**
 * The request body as a stream of chunks, undefined when the request has none. Under
 * @hono/node-server the Node request is read directly, without a web-stream copy.
 */
export function requestBody(c: Context): AsyncIterable<Uint8Array> | undefined {
  const length = c.req.header('content-length');
  const chunked = c.req.header('transfer-encoding');
  if (!chunked && (length === undefined || length === '0')) return undefined;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming ?? c.req.raw.body ?? undefined;
}

/**
 * Reads a whole body of at most `limit` bytes; a larger one is refused with 413 as soon as its
 * size is known, without reading it all.
 */
export async function readSmallBody(c: Context, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new OciError('MANIFEST_INVALID', `${what} is larger than the limit of ${limit} bytes`, { status: 413, detail: { limit } });
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > limit) throw tooLarge();
  const body = requestBody(c);
  if (!body) return new Uint8Array(0);
  const bytes = await readAtMost(body, limit);
  if (!bytes) throw tooLarge();
  return bytes;
}
