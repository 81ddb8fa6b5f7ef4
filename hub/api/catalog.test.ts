/** The catalog API over HTTP, against a real Hub: repositories, one repository, its tags. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, createUser, member, type Account } from '../../conformance/auth-helpers.ts';
import { TEST_ADMIN, useTestHub } from '../../conformance/harness.ts';
import { artifactManifest, descriptorOf, EMPTY_DESCRIPTOR, EMPTY_JSON, http, imageIndex, imageManifest, MT, pushBlob, pushManifest } from '../../conformance/helpers.ts';
import { pushPlatformIndex, pushSampleImage, type SampleImage } from '../../cli/testing.ts';
import { HubClient } from '../client/client.ts';
import { fetchRepository, listTagDetails, searchRepositories, type RepositoryPage, type TagSummary } from '../client/catalog.ts';
import { OciError } from '../oci/errors.ts';
import { signStatement, type SigningKey } from '../../engine/sign/bundle.ts';
import { imageToSign } from '../../engine/sign/image.ts';
import { generateSigningKeyPair, keyId, loadPrivateKey, loadPublicKey } from '../../engine/sign/keys.ts';
import { pushBundle } from '../../engine/sign/oci.ts';
import { imageStatement, SIGNATURE_PREDICATE_TYPE } from '../../engine/sign/statement.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

const admin = () => new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
const as = (account: Account) => new HubClient({ url: base, credentials: { username: account.name, password: account.password } });
const HOSTILE = '<script>alert(1)</script>';

let open: string;
let closed: string;
const images: Record<string, SampleImage> = {};
let indexBytes: string;

/** Bytes of a blob as the repository holds it. */
async function blobSize(repository: string, digest: string): Promise<number> {
  const res = await http(base, `/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  return Number(res.headers.get('content-length'));
}

beforeAll(async () => {
  open = await createNamespace(base, { visibility: 'public' });
  closed = await createNamespace(base, { visibility: 'private' });
  // `${open}/app`: two images, then an index of both (pushed last, so the latest).
  images.amd = await pushSampleImage(admin(), `${open}/app`, 'v1.0', 'amd64');
  images.arm = await pushSampleImage(admin(), `${open}/app`, 'v1.1', 'arm64');
  indexBytes = await pushPlatformIndex(admin(), `${open}/app`, 'multi', [
    { digest: images.amd.digest, size: images.amd.size, architecture: 'amd64' },
    { digest: images.arm.digest, size: images.arm.size, architecture: 'arm64' },
  ]);
  images.under = await pushSampleImage(admin(), `${open}/with_under`, 'v1');
  images.nounder = await pushSampleImage(admin(), `${open}/withxunder`, 'v1');
  images.secret = await pushSampleImage(admin(), `${closed}/secret`, 'v1');
});

describe('GET /api/v1/repositories', () => {
  it('lists what the caller may pull: private namespaces only for members and administrators', async () => {
    const all = await searchRepositories(admin(), { limit: 100 });
    expect(all.repositories.map((r) => r.name)).toEqual(expect.arrayContaining([`${open}/app`, `${closed}/secret`]));

    const anonymous = (await (await fetch(`${base}/api/v1/repositories?limit=100`)).json()) as RepositoryPage;
    expect(anonymous.repositories.map((r) => r.name)).toContain(`${open}/app`);
    expect(anonymous.repositories.map((r) => r.name)).not.toContain(`${closed}/secret`);

    const stranger = await createUser(base);
    const seen = await searchRepositories(as(stranger), { limit: 100 });
    expect(seen.repositories.map((r) => r.name)).not.toContain(`${closed}/secret`);
    expect(seen.repositories.map((r) => r.name)).toContain(`${open}/app`);

    const reader = await member(base, closed, 'reader');
    expect((await searchRepositories(as(reader), { namespace: closed })).repositories.map((r) => r.name)).toEqual([`${closed}/secret`]);
  });

  it('searches names (any case, LIKE characters taken literally), filters by namespace, sorts and pages', async () => {
    expect((await searchRepositories(admin(), { q: `${open}/APP`.toUpperCase() })).repositories.map((r) => r.name)).toEqual([`${open}/app`]);
    // `_` is not a wildcard: only the name with an underscore matches.
    expect((await searchRepositories(admin(), { q: 'h_u', namespace: open })).repositories.map((r) => r.name)).toEqual([`${open}/with_under`]);
    expect((await searchRepositories(admin(), { q: '%' })).total).toBe(0);
    expect((await searchRepositories(admin(), { q: HOSTILE })).total).toBe(0);

    const byName = await searchRepositories(admin(), { namespace: open, sort: 'name' });
    expect(byName.total).toBe(3);
    expect(byName.repositories.map((r) => r.name)).toEqual([`${open}/app`, `${open}/with_under`, `${open}/withxunder`]);
    const second = await searchRepositories(admin(), { namespace: open, sort: 'name', limit: 1, offset: 1 });
    expect(second).toMatchObject({ total: 3, repositories: [{ name: `${open}/with_under` }] });
    expect((await searchRepositories(admin(), { namespace: open, sort: 'name', offset: 10 })).repositories).toEqual([]);

    // Newest push first: withxunder was pushed last of the three.
    expect((await searchRepositories(admin(), { namespace: open })).repositories[0]?.name).toBe(`${open}/withxunder`);
    // Largest first: app holds two images and an index.
    expect((await searchRepositories(admin(), { namespace: open, sort: 'size' })).repositories[0]?.name).toBe(`${open}/app`);
  });

  it('gives each repository its figures and latest tag', async () => {
    const [app] = (await searchRepositories(admin(), { q: `${open}/app` })).repositories;
    const blobs = [...images.amd!.blobs, ...images.arm!.blobs];
    let stored = images.amd!.size + images.arm!.size + Buffer.byteLength(indexBytes);
    for (const digest of new Set(blobs)) stored += await blobSize(`${open}/app`, digest);
    expect(app).toMatchObject({ name: `${open}/app`, namespace: open, tagCount: 3, totalSize: stored, latest: { name: 'multi', type: 'index' } });
    expect(Date.parse(app!.lastPushedAt ?? '')).toBeGreaterThan(Date.now() - 600_000);
  });

  it('answers 400 REQUEST_INVALID for bad parameters', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'offset=-1', 'offset=1.5', 'sort=stars']) {
      const res = await http(base, `/api/v1/repositories?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      expect(body.errors[0]?.code).toBe('REQUEST_INVALID');
      expect(body.errors[0]?.message).toMatch(/^(limit|offset|sort) must be/);
    }
  });
});

describe('GET /api/v1/repositories/NAME/tags', () => {
  it('describes images and indexes: type, platforms, sizes, signatures', async () => {
    const { total, tags } = await listTagDetails(admin(), `${open}/app`, { sort: 'name' });
    expect(total).toBe(3);
    expect(tags.map((t) => t.name)).toEqual(['multi', 'v1.0', 'v1.1']);
    const byName = new Map(tags.map((t) => [t.name, t]));
    const imageSize = async (image: SampleImage) => image.size + (await blobSize(`${open}/app`, image.config)) + image.layer.size;
    expect(byName.get('v1.0')).toMatchObject({
      digest: images.amd!.digest,
      mediaType: MT.ociManifest,
      type: 'image',
      platforms: ['linux/amd64'],
      size: await imageSize(images.amd!),
      signatures: { count: 0, status: 'unsigned', signers: [] },
    });
    expect(byName.get('v1.0')).not.toHaveProperty('artifactType');
    expect(byName.get('v1.1')?.platforms).toEqual(['linux/arm64']);
    expect(byName.get('multi')).toMatchObject({
      type: 'index',
      mediaType: MT.ociIndex,
      platforms: ['linux/amd64', 'linux/arm64'],
      size: Buffer.byteLength(indexBytes) + (await imageSize(images.amd!)) + (await imageSize(images.arm!)),
    });
  });

  it('sorts by push time (newest first by default), name and size, in either order, and pages with a total', async () => {
    expect((await listTagDetails(admin(), `${open}/app`)).tags.map((t) => t.name)).toEqual(['multi', 'v1.1', 'v1.0']);
    expect((await listTagDetails(admin(), `${open}/app`, { order: 'asc' })).tags.map((t) => t.name)).toEqual(['v1.0', 'v1.1', 'multi']);
    expect((await listTagDetails(admin(), `${open}/app`, { sort: 'name', order: 'desc' })).tags.map((t) => t.name)).toEqual(['v1.1', 'v1.0', 'multi']);
    expect((await listTagDetails(admin(), `${open}/app`, { sort: 'size' })).tags[0]?.name).toBe('multi');
    expect((await listTagDetails(admin(), `${open}/app`, { sort: 'size', order: 'asc' })).tags[2]?.name).toBe('multi');
    expect(await listTagDetails(admin(), `${open}/app`, { q: 'V1', sort: 'name' })).toMatchObject({ total: 2, tags: [{ name: 'v1.0' }, { name: 'v1.1' }] });
    expect(await listTagDetails(admin(), `${open}/app`, { sort: 'name', limit: 1, offset: 1 })).toMatchObject({ total: 3, tags: [{ name: 'v1.0' }] });
    expect(await listTagDetails(admin(), `${open}/app`, { q: '%' })).toEqual({ total: 0, tags: [] });
  });

  it('marks artifacts with their artifact type', async () => {
    const repository = `${open}/things`;
    await pushBlob(base, repository, EMPTY_JSON);
    const payload = Buffer.from('{"hello":"world"}');
    const layer = descriptorOf('application/json', payload);
    await pushBlob(base, repository, payload);
    await pushManifest(base, repository, 'config', artifactManifest({ artifactType: 'application/vnd.example.config+json', layers: [layer] }));
    const [tag] = (await listTagDetails(admin(), repository)).tags;
    expect(tag).toMatchObject({ name: 'config', type: 'artifact', artifactType: 'application/vnd.example.config+json', platforms: [], vulnerabilities: null, sbom: false });
  });

  it('says whether an SBOM is attached: to the image, or for an index to one of its images', async () => {
    const repository = `${open}/sboms`;
    const image = await pushSampleImage(admin(), repository, 'image');
    const other = await pushSampleImage(admin(), repository, 'other', 'arm64');
    await pushPlatformIndex(admin(), repository, 'index', [{ digest: image.digest, size: image.size, architecture: 'amd64' }]);
    await pushBlob(base, repository, EMPTY_JSON);
    const sbom = Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}');
    await pushBlob(base, repository, sbom);
    const subject = { mediaType: MT.ociManifest, digest: image.digest, size: image.size };
    await pushManifest(base, repository, 'sbom', artifactManifest({ artifactType: 'application/vnd.cyclonedx+json', layers: [descriptorOf('application/vnd.cyclonedx+json', sbom)], subject }));
    const sboms = new Map((await listTagDetails(admin(), repository)).tags.map((t) => [t.name, t.sbom]));
    expect(Object.fromEntries(sboms)).toEqual({ image: true, index: true, other: false, sbom: false });

    // An attestation entry (as buildx lists one) is neither a platform nor an image to scan.
    const attestation = artifactManifest({ artifactType: 'application/vnd.in-toto+json', subject: { mediaType: MT.ociManifest, digest: other.digest, size: other.size } });
    await pushManifest(base, repository, attestation.digest, attestation);
    const withAttestation = imageIndex({
      manifests: [
        { mediaType: MT.ociManifest, digest: other.digest, size: other.size, platform: { os: 'linux', architecture: 'arm64' } },
        { ...attestation.descriptor, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    });
    await pushManifest(base, repository, 'buildx', withAttestation);
    let tags = new Map<string, TagSummary>();
    for (let i = 0; i < 100; i++) {
      tags = new Map((await listTagDetails(admin(), repository)).tags.map((t) => [t.name, t]));
      if (tags.get('other')?.vulnerabilities && tags.get('other')?.vulnerabilities?.status !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(tags.get('buildx')).toMatchObject({ type: 'index', platforms: ['linux/arm64'] });
    // Once its one image is scanned, the index is too: the attestation entry is not waited for.
    expect(tags.get('buildx')?.vulnerabilities).toEqual(tags.get('other')?.vulnerabilities);
  });

  it('judges signatures under the namespace production policy: valid, untrusted, invalid, unsigned', async () => {
    const namespace = await createNamespace(base, { visibility: 'private' });
    const repository = `${namespace}/signed`;
    const signingKey = (): SigningKey & { pem: string } => {
      const pair = generateSigningKeyPair();
      const publicKey = loadPublicKey(pair.publicKeyPem);
      return { privateKey: loadPrivateKey(pair.privateKeyPem), publicKey, hint: keyId(publicKey), pem: pair.publicKeyPem };
    };
    const release = signingKey();
    const stranger = signingKey();
    const client = admin();
    const image = async (tag: string) => imageToSign(client, repository, (await pushSampleImage(client, repository, tag)).digest);
    const sign = async (target: Awaited<ReturnType<typeof image>>, key: SigningKey, on = target) =>
      pushBundle(client, repository, on.descriptor, await signStatement(imageStatement(target.name, target.descriptor.digest), key), SIGNATURE_PREDICATE_TYPE);
    const good = await image('good');
    await sign(good, release);
    await sign(await image('theirs'), stranger);
    // A valid signature of `good`, attached to `wrong`: it does not verify for `wrong`.
    await sign(good, release, await image('wrong'));
    await image('plain');

    const statuses = async () => new Map((await listTagDetails(admin(), repository, { q: '' })).tags.map((t) => [t.name, t.signatures]));
    // No policy yet: a signature is only untrusted.
    expect((await statuses()).get('good')).toEqual({ count: 1, status: 'untrusted', signers: [] });

    const res = await http(base, `/api/v1/namespaces/${namespace}/policies/production`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'warn', keys: [{ name: 'release', pem: release.pem }], required: 1 }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const judged = await statuses();
    expect(judged.get('good')).toEqual({ count: 1, status: 'valid', signers: ['release'] });
    expect(judged.get('theirs')).toEqual({ count: 1, status: 'untrusted', signers: [] });
    expect(judged.get('wrong')).toMatchObject({ count: 1, status: 'invalid' });
    expect(judged.get('plain')).toEqual({ count: 0, status: 'unsigned', signers: [] });
    // The repository's latest tag carries its signatures too.
    expect((await fetchRepository(admin(), repository)).latest).toMatchObject({ name: 'plain', signatures: { status: 'unsigned' } });
  });

  it('needs pull on the repository, and knows unknown repositories', async () => {
    const stranger = await createUser(base);
    const denied = (await listTagDetails(as(stranger), `${closed}/secret`).catch((err: unknown) => err)) as OciError;
    expect(denied).toBeInstanceOf(OciError);
    expect([401, 403]).toContain(denied.status);
    expect((await fetch(`${base}/api/v1/repositories/${closed}/secret/tags`)).status).toBe(401);
    const missing = (await listTagDetails(admin(), `${open}/nothing`).catch((err: unknown) => err)) as OciError;
    expect(missing).toMatchObject({ code: 'NAME_UNKNOWN', status: 404 });
    const bad = await http(base, `/api/v1/repositories/${open}/app/tags?order=up`);
    expect(bad.status).toBe(400);
    expect((await http(base, `/api/v1/repositories/${open}/app/tags?limit=101`)).status).toBe(400);
  });

  it('summarises scans as the background scanner finishes them', async () => {
    let tag: TagSummary | undefined;
    for (let i = 0; i < 100; i++) {
      [tag] = (await listTagDetails(admin(), `${open}/with_under`)).tags;
      if (tag?.vulnerabilities && tag.vulnerabilities.status !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The sample image's layer is not a tar: its scan ends, failed, with nothing found.
    expect(tag?.vulnerabilities).toEqual({ status: 'failed', counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 } });
  });
});

describe('GET /api/v1/repositories/NAME', () => {
  it('answers the summary, the description from the latest tag annotation (as data), and the actions of the caller', async () => {
    const repository = `${closed}/described`;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    await pushBlob(base, repository, config);
    const described = imageManifest({ config: descriptorOf(MT.ociConfig, config), annotations: { 'org.opencontainers.image.description': `Hello ${HOSTILE}` } });
    await pushManifest(base, repository, 'latest', described);

    const details = await fetchRepository(admin(), repository);
    expect(details).toMatchObject({
      name: repository,
      namespace: closed,
      tagCount: 1,
      latest: { name: 'latest', digest: described.digest, type: 'image', platforms: ['linux/amd64'] },
      description: { source: 'annotation', format: 'text', text: `Hello ${HOSTILE}` },
      actions: ['pull', 'push', 'delete'],
    });
    // JSON, never HTML: the page that shows it escapes it.
    const res = await http(base, `/api/v1/repositories/${repository}`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);

    const reader = await member(base, closed, 'reader');
    expect((await fetchRepository(as(reader), repository)).actions).toEqual(['pull']);
    const developer = await member(base, closed, 'developer');
    expect((await fetchRepository(as(developer), repository)).actions).toContain('push');
    const stranger = await createUser(base);
    expect(((await fetchRepository(as(stranger), repository).catch((err: unknown) => err)) as OciError).status).toBe(403);
    expect((await fetch(`${base}/api/v1/repositories/${repository}`)).status).toBe(401);
  });

  it('takes the description from a text/markdown README artifact, truncating a long one', async () => {
    const repository = `${open}/readme`;
    await pushSampleImage(admin(), repository, 'v1');
    await pushBlob(base, repository, EMPTY_JSON);
    const text = Buffer.from(`# Readme\n\nUse it ${HOSTILE}\n`);
    await pushBlob(base, repository, text);
    // As `oras push repo:readme README.md:text/markdown` pushes it: no artifactType of its own kind, one markdown layer.
    await pushManifest(base, repository, 'readme', imageManifest({ artifactType: 'application/vnd.unknown.artifact.v1', config: EMPTY_DESCRIPTOR, layers: [descriptorOf('text/markdown', text)] }));
    expect((await fetchRepository(admin(), repository)).description).toEqual({ source: 'readme', format: 'markdown', text: text.toString() });

    const long = Buffer.from('é'.repeat(50_000));
    await pushBlob(base, repository, long);
    await pushManifest(base, repository, 'readme2', artifactManifest({ artifactType: 'text/markdown', layers: [descriptorOf('text/markdown', long)] }));
    const truncated = (await fetchRepository(admin(), repository)).description;
    expect(truncated?.source).toBe('readme');
    expect(Buffer.byteLength(truncated?.text ?? '')).toBeLessThanOrEqual(64 * 1024);
    expect(truncated?.text).toMatch(/^é+\n\n… \(truncated: the text is 100000 bytes, only the first \d+ are shown\)$/);
  });

  it('answers NAME_UNKNOWN for a repository the Hub does not hold, and leaves the routes under it alone', async () => {
    const missing = (await fetchRepository(admin(), `${open}/nothing`).catch((err: unknown) => err)) as OciError;
    expect(missing).toMatchObject({ code: 'NAME_UNKNOWN', status: 404 });
    const scan = await http(base, `/api/v1/repositories/${open}/app/manifests/v1.0/scan`);
    expect(scan.status, await scan.clone().text()).toBe(200);
    expect(((await scan.json()) as { digest: string }).digest).toBe(images.amd!.digest);
    // The resolve route answers for itself (none of app's tags is a version), not the details route.
    const resolve = await http(base, `/api/v1/repositories/${open}/app/resolve?range=%5E1`);
    expect(((await resolve.json()) as { errors: { message: string }[] }).errors[0]?.message).toMatch(/^no tag of .*\/app satisfies \^1/);
  });
});
