/**
 * Graceful shutdown on SIGTERM: the Hub stops accepting connections, lets the request in flight
 * finish, closes its backends and exits 0; what it acknowledged is there after a restart.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './harness.ts';
import { http, randomBlob, sha256, startUpload, uniqueRepo, withCredentials, withQuery } from './helpers.ts';
import { kill, spawnHub, type HubProcess } from './processes.ts';

describe('SIGTERM', () => {
  let environment: TestEnvironment;
  let hub: HubProcess | undefined;

  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    if (hub) await kill(hub);
    await environment.dispose();
  });

  it('finishes the upload in flight, refuses new connections, and exits 0', async () => {
    hub = await spawnHub(environment);
    const repo = uniqueRepo('shutdown');
    const blob = randomBlob(2 * 1024 * 1024);
    const location = await startUpload(hub.url, repo);

    // A chunk is half sent when the signal arrives.
    const answered = new Promise<{ status: number; range: string | undefined }>((resolve, reject) => {
      const req = request(new URL(location, hub!.url), {
        method: 'PATCH',
        headers: withCredentials({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.length), 'Content-Range': `0-${blob.length - 1}` }),
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, range: res.headers.range });
      });
      req.on('error', reject);
      req.write(blob.subarray(0, blob.length / 2));
      setTimeout(() => {
        hub!.child.kill('SIGTERM');
        setTimeout(() => req.end(blob.subarray(blob.length / 2)), 300);
      }, 200);
    });
    await hub.waitForOutput(/stopping/, { past: true });
    await expect(fetch(`${hub.url}/v2/`)).rejects.toThrow();

    expect(await answered).toEqual({ status: 202, range: `0-${blob.length - 1}` });
    expect(await hub.exited).toEqual({ code: 0, signal: null });

    // The acknowledged bytes survived: the upload completes on a new Hub.
    hub = await spawnHub(environment);
    const digest = sha256(blob);
    const done = await http(hub.url, withQuery(location, { digest }), { method: 'PUT' });
    expect(done.status).toBe(201);
    const fetched = await http(hub.url, `/v2/${repo}/blobs/${digest}`);
    expect(sha256(Buffer.from(await fetched.arrayBuffer()))).toBe(digest);
  });
});
