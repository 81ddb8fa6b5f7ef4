/**
 * Prometheus metrics of one Hub (a registry per Hub, no global state): requests by route and
 * status with latency histograms, bytes in and out, uploads in flight, GC runs. `/metrics`
 * serves them in the text format.
 */
import type { MiddlewareHandler } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A low-cardinality name for the route a path belongs to. */
export function routeOf(path: string): string {
  if (path === '/v2/' || path === '/v2') return 'base';
  if (path === '/v2/_catalog') return 'catalog';
  const match = /^\/v2\/.+?\/(blobs\/uploads|blobs|manifests|tags|referrers)(?:\/|$)/.exec(path);
  if (match?.[1]) return { 'blobs/uploads': 'upload', blobs: 'blob', manifests: 'manifest', tags: 'tags', referrers: 'referrers' }[match[1]] ?? 'other';
  if (path.startsWith('/api/')) return 'api';
  if (path === '/metrics' || path === '/healthz' || path === '/readyz') return 'ops';
  return 'other';
}

export class HubMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'nocker_http_requests_total',
    help: 'HTTP requests answered, by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'nocker_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (headers; streamed bodies may take longer).',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly bytesIn = new Counter({
    name: 'nocker_http_request_bytes_total',
    help: 'Request body bytes announced by Content-Length, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly bytesOut = new Counter({
    name: 'nocker_http_response_bytes_total',
    help: 'Response body bytes announced by Content-Length, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly uploadsInFlight = new Gauge({
    name: 'nocker_uploads_in_flight',
    help: 'Blob upload requests (POST, PATCH, PUT) being received right now.',
    registers: [this.registry],
  });
  readonly gcRuns = new Counter({
    name: 'nocker_gc_runs_total',
    help: 'Garbage collection runs inside this Hub, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Process figures (memory, CPU, event loop lag) under the usual names.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts and times every request. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const route = routeOf(c.req.path);
      const uploading = route === 'upload' && c.req.method !== 'GET' && c.req.method !== 'DELETE';
      if (uploading) this.uploadsInFlight.inc();
      const stopTimer = this.duration.startTimer();
      try {
        await next();
      } finally {
        if (uploading) this.uploadsInFlight.dec();
        const labels = { route, method: c.req.method, status: String(c.res.status) };
        stopTimer(labels);
        this.requests.inc(labels);
        this.bytesIn.inc({ route }, Number(c.req.header('content-length')) || 0);
        this.bytesOut.inc({ route }, Number(c.res.headers.get('content-length')) || 0);
      }
    };
  }
}
