import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, startTestHub, TEST_ADMIN, type TestEnvironment, type TestHub } from '../../conformance/harness.ts';
import { HubClient } from '../client/client.ts';
import { pushImage } from '../client/push.ts';
import { EMPTY_DESCRIPTOR, MediaType } from '../oci/mediatypes.ts';
import { openBackends } from '../server.ts';
import { hasScanJob } from './queue.ts';
import { DEBIAN_LAYERS, pushLayers, UBUNTU_LAYERS, waitForScan } from './testing.ts';

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('scans across a restart', () => {
  let environment: TestEnvironment | undefined;
  let hub: TestHub | undefined;
  afterAll(async () => {
    await hub?.close();
    await environment?.dispose();
  });

  it('takes again a job a stopped Hub held once its lease runs out, queues what was never scanned, skips artifacts', async () => {
    environment = await createTestEnvironment();
    hub = await startTestHub({ environment });
    const client = () => new HubClient({ url: hub!.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const leased = await pushLayers(client(), 'team/app', 'v1', DEBIAN_LAYERS);
    const unscanned = await pushLayers(client(), 'team/app', 'v2', UBUNTU_LAYERS);
    // An artifact: an empty config and an artifactType; never scanned.
    const layer = Buffer.from('build log');
    const manifestBytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: 'application/vnd.example.log', config: EMPTY_DESCRIPTOR, layers: [{ mediaType: 'text/plain', digest: sha256(layer), size: layer.length }] }),
    );
    await pushImage(client(), 'team/app', 'log', {
      config: { ...EMPTY_DESCRIPTOR, bytes: Buffer.from('{}') },
      layers: [{ mediaType: 'text/plain', digest: sha256(layer), size: layer.length, bytes: layer }],
      manifest: { mediaType: MediaType.OciManifest, digest: sha256(manifestBytes), bytes: manifestBytes },
    });
    const artifact = sha256(manifestBytes);
    await waitForScan(() => hub!.scans.report(leased.digest));
    await waitForScan(() => hub!.scans.report(unscanned.digest));
    await hub.close();

    // As a Hub that died mid-scan leaves things: one job leased for a while yet, one image with no scan and no job.
    const backends = await openBackends(environment.config);
    const db = backends.database.db;
    await db.execute(sql`delete from image_scans where digest in (${leased.digest}, ${unscanned.digest})`);
    await db.execute(sql`insert into scan_jobs (digest, repository, kind, attempts, lease_until) values (${leased.digest}, 'team/app', 'scan', 1, now() + interval '1500 milliseconds')`);
    await backends.close();

    const started = Date.now();
    hub = await startTestHub({ environment });
    expect((await hub.scans.report(leased.digest)).status).toBe('pending');
    const report = await waitForScan(() => hub!.scans.report(leased.digest));
    expect(report.status).toBe('done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(report.counts).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(report.packages.map((p) => p.name).sort()).toEqual(['Requests', 'bar', 'libfoo1', 'lodash']);
    expect((await waitForScan(() => hub!.scans.report(unscanned.digest))).packages.map((p) => p.name)).toEqual(['libbaz0']);
    expect(await hasScanJob(hub.scans.db, leased.digest)).toBe(false);

    expect((await hub.scans.report(artifact)).status).toBe('not scanned');
    expect(await hasScanJob(hub.scans.db, artifact)).toBe(false);

    // Deleting the manifest forgets its scan.
    const res = await client().v2('DELETE', `/v2/team/app/manifests/${unscanned.digest}`);
    expect(res.status).toBe(202);
    for (let i = 0; i < 50 && (await hub.scans.report(unscanned.digest)).status !== 'not scanned'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await hub.scans.report(unscanned.digest)).status).toBe('not scanned');
  });
});
