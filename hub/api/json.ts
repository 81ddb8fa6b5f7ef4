/** Reading and checking the JSON bodies, path and query parameters of `/api/v1` requests. */
import type { Context } from 'hono';
import { OciError } from '../oci/errors.ts';

const MAX_BODY_BYTES = 64 * 1024;

/** The request's JSON object; REQUEST_INVALID for anything else. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) throw new OciError('REQUEST_INVALID', `the request body is larger than ${MAX_BODY_BYTES} bytes`, { status: 413 });
  const body: unknown = await c.req.json().catch(() => {
    throw new OciError('REQUEST_INVALID', 'expected a JSON object as the request body');
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OciError('REQUEST_INVALID', 'expected a JSON object as the request body');
  return body as Record<string, unknown>;
}

/** Typed access to one body's fields, each failing with a message naming the field. */
export function fields(body: Record<string, unknown>) {
  const bad = (key: string, expected: string) => new OciError('REQUEST_INVALID', `${key} must be ${expected}`, { detail: { field: key } });
  return {
    string(key: string): string {
      const value = body[key];
      if (typeof value !== 'string' || value === '') throw bad(key, 'a non-empty string');
      return value;
    },
    optionalString(key: string): string | undefined {
      if (body[key] === undefined || body[key] === null) return undefined;
      return this.string(key);
    },
    optionalBoolean(key: string): boolean | undefined {
      const value = body[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'boolean') throw bad(key, 'true or false');
      return value;
    },
    optionalDate(key: string): Date | undefined {
      const value = this.optionalString(key);
      if (value === undefined) return undefined;
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw bad(key, 'an ISO 8601 date and time');
      return date;
    },
    array(key: string): unknown[] {
      const value = body[key];
      if (!Array.isArray(value)) throw bad(key, 'a list');
      return value;
    },
  };
}

/** `?name=` values are URL-decoded by the router; path values are too, through this. */
export function pathParam(c: Context, key: string): string {
  const value = c.req.param(key);
  if (!value) throw new OciError('REQUEST_INVALID', `the path needs a ${key}`);
  return value;
}

/** An ISO 8601 query parameter as a date, or undefined when absent. */
export function dateParam(value: string | undefined, key: string): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new OciError('REQUEST_INVALID', `${key} must be an ISO 8601 date and time`);
  return date;
}

/** A positive whole-number query parameter, or undefined when absent. */
export function numberParam(value: string | undefined, key: string): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new OciError('REQUEST_INVALID', `${key} must be a positive whole number`);
  return n;
}
