import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { HubAdmin } from '../client/admin.ts';
import { HubClient } from '../client/client.ts';
import { fetchDependencies, fetchDependents, fetchRebuildPlan } from '../client/deps.ts';
import { imageLayers, imagePackages, imageScans, imageVulnerabilities } from '../db/schema.ts';
import { inheritedLayers } from '../deps/graph.ts';
import { pushTestImage, pushTestReferrer, testLayer, type TestImage } from '../deps/testing.ts';
import { openBackends } from '../server.ts';
import { pushPlatformIndex } from '../../cli/testing.ts';
import { eq } from 'drizzle-orm';

// The graph: base B (2 layers) in library/base:1; C built on it by layers only, its layers
// recompressed (team/app:v1); D naming B in its annotations (team/svc:v1); E built on C
// (secret/web:v1), in a namespace the reader below may not pull; F built on E (team/late:v1).
const os = testLayer('os');
const runtime = testLayer('runtime');
const [osGz, runtimeGz] = [testLayer('os', { gzip: true }), testLayer('runtime', { gzip: true })];

let hub: TestHub;
let host: string;
let admin: HubClient;
let reader: HubClient;
const images: Record<'b' | 'c' | 'd' | 'e' | 'f', TestImage> = {} as Record<'b' | 'c' | 'd' | 'e' | 'f', TestImage>;
let referrer: string;

const clientFor = (url: string, username: string, password: string) => new HubClient({ url, credentials: { username, password } });

beforeAll(async () => {
  hub = await startTestHub();
  host = new URL(hub.url).host;
  admin = clientFor(hub.url, TEST_ADMIN.username, TEST_ADMIN.password);
  const hubAdmin = new HubAdmin(admin);
  for (const name of ['library', 'team', 'secret']) await hubAdmin.createNamespace({ name, visibility: 'private' });
  await hubAdmin.createUser({ name: 'rita', password: 'rita-password-1' });
  await hubAdmin.setMember('library', 'rita', 'reader');
  await hubAdmin.setMember('team', 'rita', 'reader');
  reader = clientFor(hub.url, 'rita', 'rita-password-1');

  images.b = await pushTestImage(admin, 'library/base', '1', [os, runtime]);
  images.c = await pushTestImage(admin, 'team/app', 'v1', [osGz, runtimeGz, testLayer('app')]);
  images.d = await pushTestImage(admin, 'team/svc', 'v1', [os, runtime, testLayer('svc')], {
    'org.opencontainers.image.base.name': `${host}/library/base:1`,
    'org.opencontainers.image.base.digest': images.b.digest,
    'dev.nocker.dependencies': JSON.stringify([`${host}/team/model:v2@sha256:${'a'.repeat(64)}`, 'not a reference', 42]),
  });
  images.e = await pushTestImage(admin, 'secret/web', 'v1', [osGz, runtimeGz, testLayer('app'), testLayer('web')]);
  images.f = await pushTestImage(admin, 'team/late', 'v1', [osGz, runtimeGz, testLayer('app'), testLayer('web'), testLayer('late')]);
  await pushPlatformIndex(admin, 'library/base', 'multi', [{ ...images.b, architecture: 'amd64' }]);
  referrer = await pushTestReferrer(admin, 'library/base', images.b);
}, 60_000);

afterAll(async () => {
  await hub?.destroy();
});

const node = (repository: string, image: TestImage) => expect.objectContaining({ repository, digest: image.digest });

describe('what an image is built on', () => {
  it('finds a base by layers, however they were compressed', async () => {
    const deps = await fetchDependencies(admin, 'team/app', 'v1');
    expect(deps.digest).toBe(images.c.digest);
    expect(deps.base).toEqual({ repository: 'library/base', digest: images.b.digest, tags: ['1'], via: 'layers', layerCount: 2 });
    expect(deps.bases).toHaveLength(1);
  });

  it('takes the base the annotations name, and the artifacts the build pinned', async () => {
    const deps = await fetchDependencies(admin, 'team/svc', images.d.digest);
    expect(deps.base).toEqual({ repository: 'library/base', digest: images.b.digest, tags: ['1'], via: 'annotation', layerCount: 2 });
    expect(deps.artifacts).toEqual([{ reference: `${host}/team/model:v2@sha256:${'a'.repeat(64)}`, host, repository: 'team/model', tag: 'v2', digest: `sha256:${'a'.repeat(64)}` }]);
  });

  it('follows the chain of bases up to the root', async () => {
    const deps = await fetchDependencies(admin, 'secret/web', 'v1');
    expect(deps.bases.map((b) => [b.repository, b.via, b.layerCount])).toEqual([
      ['team/app', 'layers', 3],
      ['library/base', 'layers', 2],
    ]);
  });

  it('lists an index\'s children, the indexes listing an image, and a referrer\'s subject', async () => {
    const index = await fetchDependencies(admin, 'library/base', 'multi');
    expect(index.children).toEqual([{ repository: 'library/base', digest: images.b.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64' }]);
    expect(index.base).toBeNull();
    // Besides the test's referrer, the Hub's scanner attaches the image's two SBOMs, in the background.
    let base = await fetchDependencies(admin, 'library/base', '1');
    for (const deadline = Date.now() + 20_000; base.referrers < 3 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      base = await fetchDependencies(admin, 'library/base', '1');
    }
    expect(base.indexes).toEqual([expect.objectContaining({ repository: 'library/base', tags: ['multi'] })]);
    expect(base.referrers).toBe(3);
    expect(base.base).toBeNull();
    const artifact = await fetchDependencies(admin, 'library/base', referrer);
    expect(artifact.subject).toEqual({ repository: 'library/base', digest: images.b.digest, tags: ['1'], present: true });
    expect(artifact.base).toBeNull();
  });

  it('answers MANIFEST_UNKNOWN for what is not there, and refuses who may not pull', async () => {
    await expect(fetchDependencies(admin, 'team/app', 'nope')).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN', status: 404 });
    await expect(fetchDependencies(reader, 'secret/web', 'v1')).rejects.toMatchObject({ code: 'DENIED', status: 403 });
  });
});

describe('what is built on an image', () => {
  it('lists direct dependents by annotation and by layers', async () => {
    const { dependents } = await fetchDependents(admin, 'library/base', '1');
    expect(dependents.map((d) => [d.repository, d.via, d.depth])).toEqual([
      ['team/svc', 'annotation', 1],
      ['team/app', 'layers', 1],
    ]);
  });

  it('counts what is built on an index\'s images as built on the index', async () => {
    const { dependents } = await fetchDependents(admin, 'library/base', 'multi', { transitive: true });
    expect(dependents.map((d) => [d.repository, d.via, d.depth])).toEqual([
      ['team/svc', 'annotation', 1],
      ['team/app', 'layers', 1],
      ['secret/web', 'layers', 2],
      ['team/late', 'layers', 3],
    ]);
  });

  it('with transitive, everything built on those too, each with its base', async () => {
    const { dependents } = await fetchDependents(admin, 'library/base', '1', { transitive: true });
    expect(dependents).toHaveLength(4);
    expect(dependents).toContainEqual({ repository: 'secret/web', digest: images.e.digest, tags: ['v1'], via: 'layers', depth: 2, base: { repository: 'team/app', digest: images.c.digest } });
    const direct = await fetchDependents(admin, 'team/app', 'v1');
    expect(direct.dependents).toEqual([node('secret/web', images.e)]);
  });

  it('leaves out the images the caller may not pull', async () => {
    const { dependents } = await fetchDependents(reader, 'library/base', '1', { transitive: true });
    expect(dependents.map((d) => d.repository).sort()).toEqual(['team/app', 'team/late', 'team/svc']);
    // What is built on a hidden image hangs from the nearest one the caller sees.
    expect(dependents.find((d) => d.repository === 'team/late')).toMatchObject({ depth: 2, base: { repository: 'team/app', digest: images.c.digest } });
    const plan = await fetchRebuildPlan(reader, 'library/base', '1');
    expect(plan.images.map((i) => i.repository)).not.toContain('secret/web');
  });
});

describe('the rebuild plan', () => {
  it('is empty while the base is current and clean', async () => {
    const plan = await fetchRebuildPlan(admin, 'library/base', '1');
    expect(plan.base).toEqual({ repository: 'library/base', tag: '1', digest: images.b.digest, tags: ['1'], fixableVulnerabilities: [] });
    expect(plan.images).toEqual([]);
  });

  it('lists every dependent when the base has fixable vulnerabilities; images pushed before get their layers at start', async () => {
    // Stop the Hub, give B scan findings and forget E's layers (as if pushed before the graph existed), start it again.
    const port = Number(new URL(hub.url).port);
    await hub.close();
    const backends = await openBackends(hub.environment.config);
    try {
      const { db } = backends.database;
      await db.insert(imageScans).values({ digest: images.b.digest, status: 'done' }).onConflictDoNothing();
      const packages = await db
        .insert(imagePackages)
        .values({ digest: images.b.digest, type: 'deb', ecosystem: 'Debian:12', name: 'openssl', version: '3.0.1', purl: 'pkg:deb/debian/openssl@3.0.1', path: 'var/lib/dpkg/status' })
        .returning({ id: imagePackages.id });
      const packageId = (packages[0] as { id: number }).id;
      await db.insert(imageVulnerabilities).values([
        { digest: images.b.digest, vulnerabilityId: 'CVE-2024-0002', packageId, severity: 'high', fixedVersion: '3.0.2' },
        { digest: images.b.digest, vulnerabilityId: 'CVE-2024-0001', packageId, severity: 'critical', fixedVersion: '3.0.3' },
        { digest: images.b.digest, vulnerabilityId: 'CVE-2024-0003', packageId, severity: 'low', fixedVersion: null },
      ]);
      // What the scan report asks to say "via base": C's two bottom layers are B's.
      expect(await inheritedLayers(db, 'team/app', images.c.digest)).toEqual({ base: { repository: 'library/base', digest: images.b.digest, tag: '1' }, layerCount: 2 });
      expect(await inheritedLayers(db, 'library/base', images.b.digest)).toBeUndefined();
      await db.delete(imageLayers).where(eq(imageLayers.digest, images.e.digest));
    } finally {
      await backends.close();
    }
    hub = await startTestHub({ environment: hub.environment, config: { listen: { host: '127.0.0.1', port } } });

    const plan = await fetchRebuildPlan(admin, 'library/base', '1');
    expect(plan.base.fixableVulnerabilities).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
    const reason = 'base library/base:1 has 2 fixable vulnerabilities (CVE-2024-0001, CVE-2024-0002)';
    expect(plan.images.map((i) => [i.repository, i.reasons])).toEqual([
      ['team/svc', [reason]],
      ['team/app', [reason]],
      ['secret/web', [reason]],
      ['team/late', [reason]],
    ]);
  }, 30_000);

  it('lists the images built on the tag\'s old image once the tag moves', async () => {
    const moved = await pushTestImage(admin, 'library/base', '1', [os, testLayer('runtime 2')]);
    // B is still current as the image of the index library/base:multi…
    const whileListed = await fetchRebuildPlan(admin, 'library/base', '1');
    expect(whileListed.images.map((i) => i.repository)).toEqual(['team/svc']);
    // …until that tag goes too.
    const res = await admin.v2('DELETE', '/v2/library/base/manifests/multi');
    expect(res.status).toBe(202);
    const plan = await fetchRebuildPlan(admin, 'library/base', '1');
    expect(plan.base.digest).toBe(moved.digest);
    expect(plan.base.fixableVulnerabilities).toEqual([]);
    const short = (digest: string) => digest.slice(0, 19);
    expect(plan.images).toEqual([
      { repository: 'team/svc', digest: images.d.digest, tags: ['v1'], reasons: [`base tag moved: built on library/base:1 at ${short(images.b.digest)}, now ${short(moved.digest)}`] },
      { repository: 'team/app', digest: images.c.digest, tags: ['v1'], reasons: [`built on library/base@${short(images.b.digest)}, no longer tagged; library/base:1 is now ${short(moved.digest)}`] },
      // Then what is built on those, once they are rebuilt: parents first.
      { repository: 'secret/web', digest: images.e.digest, tags: ['v1'], reasons: [`built on team/app@${short(images.c.digest)}, which is to be rebuilt`] },
      { repository: 'team/late', digest: images.f.digest, tags: ['v1'], reasons: [`built on secret/web@${short(images.e.digest)}, which is to be rebuilt`] },
    ]);
    // By digest, the old image is still the base of what was built on it.
    const old = await fetchDependents(admin, 'library/base', images.b.digest);
    expect(old.dependents).toHaveLength(2);
  });
});
