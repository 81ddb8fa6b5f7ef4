/** `GET /api/v1/health` over a real Hub: who may read it, its shape, and GC runs appearing in it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestHub } from '../../conformance/harness.ts';
import { HubAdmin } from '../client/admin.ts';
import { HubClient } from '../client/client.ts';
import { fetchHealth } from '../client/health.ts';
import { probeWithin } from './health.ts';

const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

describe('/api/v1/health on a running Hub', () => {
  let url: string;
  useTestHub((hub) => (url = hub.url));
  const admin = () => new HubClient({ url, credentials: TEST_ADMIN });

  beforeAll(async () => {
    await new HubAdmin(admin()).createUser({ name: 'reader', password: 'reader-password-1' });
  });

  it('answers administrators alone', async () => {
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(401);
    const reader = await fetch(`${url}/api/v1/health`, { headers: { Authorization: basic('reader', 'reader-password-1') } });
    expect(reader.status).toBe(403);
    await expect(fetchHealth(new HubClient({ url, credentials: { username: 'reader', password: 'reader-password-1' } }))).rejects.toMatchObject({ code: 'DENIED' });
  });

  it('reports the backends, the scan queue and the vulnerability database version', async () => {
    const health = await fetchHealth(admin());
    expect(health.storage).toEqual({ driver: process.env.NOCKER_TEST_S3_ENDPOINT ? 's3' : 'fs', ok: true });
    expect(health.database).toEqual({ driver: process.env.NOCKER_TEST_DATABASE_URL ? 'postgresql' : 'pglite', ok: true });
    expect(health.scanQueue).toEqual({ queued: expect.any(Number), running: expect.any(Number), retrying: expect.any(Number), failed: expect.any(Number) });
    expect(health.vulndbVersion).toBeNull();
    expect(health.gc.runs).toEqual([]);
  });

  it('lists garbage collection runs made through the API, newest first', async () => {
    const gc = (body: unknown) =>
      fetch(`${url}/api/v1/gc`, { method: 'POST', headers: { Authorization: basic(TEST_ADMIN.username, TEST_ADMIN.password), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await gc({ dryRun: true })).status).toBe(200);
    expect((await gc({ dryRun: false, deleteUntagged: true })).status).toBe(200);
    expect((await gc({ dryRun: 'yes' })).status).toBe(400); // refused before it ran: not a run
    const { gc: history } = await fetchHealth(admin());
    expect(history.runs).toHaveLength(2);
    expect(history.runs[0]).toMatchObject({ actor: TEST_ADMIN.username, outcome: 'success', dryRun: false, deleteUntagged: true, manifests: 0, blobs: 0, uploads: 0, bytesFreed: 0 });
    expect(history.runs[1]).toMatchObject({ dryRun: true, deleteUntagged: false });
    expect(Date.parse(history.runs[0]!.at)).not.toBeNaN();
  });
});

describe('probeWithin', () => {
  it('says why a probe failed, or that it took too long', async () => {
    expect(await probeWithin(async () => 1, 100)).toBeUndefined();
    expect(await probeWithin(() => Promise.reject(new Error('disk gone')), 100)).toBe('disk gone');
    expect(await probeWithin(() => new Promise(() => undefined), 20)).toBe('timed out after 20 ms');
  });
});
