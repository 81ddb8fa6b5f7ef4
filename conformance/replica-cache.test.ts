/**
 * Two Hubs on one PostgreSQL database cache manifests, yet a tag moved or a manifest deleted
 * through one is seen by the other: replicas tell each other what changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, startTestHub, type TestEnvironment, type TestHub } from './harness.ts';
import { getManifest, http, pushImage, uniqueRepo } from './helpers.ts';

/** Polls `read` until it returns `expected` or two seconds pass. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 2000;
  let last = await read();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    last = await read();
  }
  return last;
}

describe.skipIf(!process.env.NOCKER_TEST_DATABASE_URL)('manifest caches across replicas', () => {
  let environment: TestEnvironment;
  let a: TestHub;
  let b: TestHub;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    a = await startTestHub({ environment });
    b = await startTestHub({ environment });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await environment?.dispose();
  });

  it('a tag moved on one replica is served moved by the other', async () => {
    const repo = uniqueRepo('cache');
    const first = await pushImage(a.url, repo, 'v1');
    const digestOnB = async () => (await getManifest(b.url, repo, 'v1')).headers.get('docker-content-digest');
    expect(await digestOnB()).toBe(first.manifest.digest); // now cached on B

    const second = await pushImage(a.url, repo, 'v1');
    expect(await eventually(digestOnB, second.manifest.digest)).toBe(second.manifest.digest);
  });

  it('a manifest deleted on one replica is gone from the other', async () => {
    const repo = uniqueRepo('cache');
    const image = await pushImage(a.url, repo, 'v1');
    const statusOnB = async () => (await getManifest(b.url, repo, image.manifest.digest)).status;
    expect(await statusOnB()).toBe(200);

    expect((await http(a.url, `/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' })).status).toBe(202);
    expect(await eventually(statusOnB, 404)).toBe(404);
  });
});
