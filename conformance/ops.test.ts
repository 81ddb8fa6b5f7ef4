/** The operational endpoints: liveness, readiness and Prometheus metrics. */
import { describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import { http, pushImage, uniqueRepo } from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

describe('operational endpoints', () => {
  it('/healthz answers while the process is up', async () => {
    const res = await http(base, '/healthz');
    expect(res.status).toBe(200);
  });

  it('/readyz answers 200 when the database and the blob store are reachable', async () => {
    const res = await http(base, '/readyz');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ready');
  });

  it('/metrics counts requests by route and status, with latency histograms and byte counters', async () => {
    const repo = uniqueRepo('metrics');
    await pushImage(base, repo, 'v1');
    await http(base, `/v2/${repo}/manifests/v1`);
    await http(base, `/v2/${repo}/manifests/missing`);

    const res = await http(base, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/nocker_http_requests_total\{route="manifest",method="GET",status="200"\} [1-9]/);
    expect(text).toMatch(/nocker_http_requests_total\{route="manifest",method="GET",status="404"\} [1-9]/);
    expect(text).toMatch(/nocker_http_requests_total\{route="upload",method="PUT",status="201"\} [1-9]/);
    expect(text).toMatch(/nocker_http_request_duration_seconds_bucket\{le="0.005",route="manifest",method="PUT",status="201"\}/);
    expect(text).toMatch(/nocker_http_request_bytes_total\{route="upload"\} [1-9]/);
    expect(text).toMatch(/nocker_http_response_bytes_total\{route="manifest"\} [1-9]/);
    expect(text).toContain('nocker_uploads_in_flight 0');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('/metrics counts GC runs', async () => {
    const gc = await http(base, '/api/v1/gc', { method: 'POST', body: JSON.stringify({ dryRun: true }), headers: { 'Content-Type': 'application/json' } });
    expect(gc.status).toBe(200);
    const text = await (await http(base, '/metrics')).text();
    expect(text).toMatch(/nocker_gc_runs_total\{result="ok"\} [1-9]/);
  });

  it('/api/v1/gc refuses a malformed request with a clear message', async () => {
    const res = await http(base, '/api/v1/gc', { method: 'POST', body: '{"dryRun":"yes"}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('dryRun must be true or false');
  });
});
