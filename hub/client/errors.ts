/**
 * Turns a Hub's error response (`{"errors":[{"code","message","detail"}]}`) into the one error
 * type the rest of Nocker knows, {@link OciError}, keeping the Hub's message and HTTP status.
 */
import { ERROR_CODES, OciError, type ErrorCode } from '../oci/errors.ts';

interface ErrorEntry {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The closest known code for a status, used when the Hub answers with a code this client does not know. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOOMANYREQUESTS';
  if (status === 416) return 'RANGE_INVALID';
  if (status >= 500) return 'INTERNAL';
  return 'UNSUPPORTED';
}

/**
 * Builds the error for a failed response from its body text. An unknown code keeps its status
 * and is reported in `detail.code`; a body that is no error document gets a message naming the
 * status.
 *
 * @example
 * const res = await fetch(url);
 * if (!res.ok) throw errorFromBody(res.status, await res.text(), `GET ${url}`);
 */
export function errorFromBody(status: number, text: string, what: string, headers?: Headers): OciError {
  let entry: ErrorEntry | undefined;
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(body.errors) && typeof body.errors[0] === 'object' && body.errors[0] !== null) {
      entry = body.errors[0] as ErrorEntry;
    }
  } catch {
    // not JSON: described by its status below
  }
  const code = isErrorCode(entry?.code) ? entry.code : codeForStatus(status);
  const message =
    typeof entry?.message === 'string' && entry.message !== ''
      ? entry.message
      : `${what} failed with HTTP ${status}${text.trim() && !entry ? `: ${text.trim().slice(0, 200)}` : ''}`;
  const unknownCode = entry && typeof entry.code === 'string' && !isErrorCode(entry.code) ? entry.code : undefined;
  const detail = unknownCode ? { code: unknownCode, detail: entry?.detail } : entry?.detail;
  const retryAfter = headers?.get('retry-after');
  return new OciError(code, message, {
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(retryAfter ? { headers: { 'Retry-After': retryAfter } } : {}),
  });
}

/** Reads a failed response's body and builds its error (see {@link errorFromBody}). */
export async function errorFromResponse(res: Response, what: string): Promise<OciError> {
  const text = await res.text().catch(() => '');
  return errorFromBody(res.status, text, what, res.headers);
}
