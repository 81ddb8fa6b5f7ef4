/** One structured JSON log line per request: method, path, status, duration. */
import type { MiddlewareHandler } from 'hono';

const REPOSITORY_IN_PATH = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//;

/** Set in the env of requests the Hub makes to itself (the web catalog's API calls): logged once, as the page. */
export const INTERNAL_REQUEST = 'nockerInternalRequest';

export function requestLog(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    if ((c.env as Record<string, unknown> | undefined)?.[INTERNAL_REQUEST]) return;
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        method: c.req.method,
        path: c.req.path,
        repo: REPOSITORY_IN_PATH.exec(c.req.path)?.[1],
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        digest: c.res.headers.get('docker-content-digest') ?? undefined,
      }),
    );
  };
}
