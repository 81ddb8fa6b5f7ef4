/**
 * Renders every failure as the distribution spec's error document,
 * `{"errors":[{"code","message","detail"}]}`, with the code's HTTP status. Unexpected errors
 * become a 500 without a stack trace; the trace goes to the log.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { OciError, type ErrorCode } from '../oci/errors.ts';
import { BlobNotFoundError } from '../../storage/blobstore.ts';

export interface ErrorBody {
  errors: { code: ErrorCode; message: string; detail?: unknown }[];
}

/** Maps anything thrown to an OciError; unknown failures are INTERNAL. */
export function toOciError(err: unknown): OciError {
  if (err instanceof OciError) return err;
  // A blob recorded in the database but missing from storage: say so rather than fail blindly.
  if (err instanceof BlobNotFoundError) {
    return new OciError('BLOB_UNKNOWN', `the bytes of blob ${err.digest} are missing from storage`, { detail: { digest: err.digest } });
  }
  if (err instanceof HTTPException) {
    return new OciError(err.status === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED', err.message, { status: err.status });
  }
  return new OciError('INTERNAL', 'the Hub failed to handle this request; the cause is in its log');
}

/** Hono `onError` handler. */
export function handleError(err: unknown, c: Context): Response {
  const oci = toOciError(err);
  if (oci.code === 'INTERNAL') {
    console.error(JSON.stringify({ level: 'error', method: c.req.method, path: c.req.path, error: String((err as Error)?.stack ?? err) }));
  }
  return errorResponse(oci, c.req.method === 'HEAD');
}

export function errorResponse(err: OciError, headOnly = false): Response {
  const body: ErrorBody = { errors: [{ code: err.code, message: err.message, ...(err.detail === undefined ? {} : { detail: err.detail }) }] };
  const json = JSON.stringify(body);
  return new Response(headOnly ? null : json, {
    status: err.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(json)), ...err.headers },
  });
}

/** Hono `notFound` handler: a route the API does not have. */
export function handleNotFound(c: Context): Response {
  return errorResponse(new OciError('UNSUPPORTED', `${c.req.method} ${c.req.path} is not part of the registry API`, { status: 404 }), c.req.method === 'HEAD');
}
