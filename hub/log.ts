/** One structured JSON log line per request: method, path, status, duration. */
import type { MiddlewareHandler } from 'hono';
import { isInternalRequest } from './internal-request.ts';

const REPOSITORY_IN_PATH = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//;

export function requestLog(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    if (isInternalRequest(c)) return;
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
