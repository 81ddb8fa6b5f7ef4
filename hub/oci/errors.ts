/**
 * The one error type of the Hub: an OCI error code, its HTTP status and a message a person
 * understands. Codes are defined once here (the distribution spec's table plus the few the Hub
 * adds); `hub/distribution/errors.ts` renders them, the CLI prints them.
 */

/** Every error code the Hub answers with, and the HTTP status it goes with by default. */
export const ERROR_CODES = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 415,
  TOOMANYREQUESTS: 429,
  TAG_INVALID: 400,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  /** The Hub's own API: a body or parameter that is not what the endpoint takes. */
  REQUEST_INVALID: 400,
  /** The Hub's own API: creating what already exists, or removing what is still in use. */
  CONFLICT: 409,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * @example
 * throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`);
 * throw new OciError('MANIFEST_INVALID', 'manifest is larger than 4 MiB', { status: 413 });
 */
export class OciError extends Error {
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers, e.g. the current `Range` of an upload on a 416. */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; detail?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'OciError';
    this.status = options.status ?? ERROR_CODES[code];
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}
