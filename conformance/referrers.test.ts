/**
 * The referrers API (distribution-spec v1.1): GET /v2/<name>/referrers/<digest>.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import {
  MT,
  artifactManifest,
  descriptorOf,
  expectError,
  http,
  imageIndex,
  imageManifest,
  pushBlob,
  pushEmptyConfig,
  pushImage,
  pushImageCopy,
  pushManifest,
  randomBlob,
  sha256,
  uniqueRepo,
  type BuiltManifest,
  type Descriptor,
  type PushedImage,
} from './helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

const SBOM = 'application/vnd.example.sbom.v1';
const SIG = 'application/vnd.example.signature.v1';

async function referrers(repo: string, digest: string, query = ''): Promise<{ res: Response; body: ReferrersIndex }> {
  const res = await http(base, `/v2/${repo}/referrers/${digest}${query}`);
  expect(res.status, `referrers ${digest}${query}`).toBe(200);
  return { res, body: (await res.json()) as ReferrersIndex };
}

function byDigest(list: Descriptor[], digest: string): Descriptor | undefined {
  return list.find((d) => d.digest === digest);
}

describe('listing referrers: GET /v2/<name>/referrers/<digest>', () => {
  const repo = uniqueRepo('referrers');
  let subject: PushedImage;
  let sbom: BuiltManifest;
  let sig: BuiltManifest;
  let imageReferrer: BuiltManifest;
  let indexReferrer: BuiltManifest;
  let typedIndexReferrer: BuiltManifest;
  const imageReferrerConfigType = 'application/vnd.example.config.v1+json';

  beforeAll(async () => {
    subject = await pushImage(base, repo, 'subject');
    await pushEmptyConfig(base, repo);

    sbom = artifactManifest({
      artifactType: SBOM,
      subject: subject.manifest.descriptor,
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' },
    });
    await pushManifest(base, repo, sbom.digest, sbom);

    sig = artifactManifest({
      artifactType: SIG,
      subject: subject.manifest.descriptor,
      annotations: { 'org.example.signature.fingerprint': 'abcd' },
    });
    await pushManifest(base, repo, sig.digest, sig);

    // An image manifest with a subject but no artifactType: its artifactType is its config mediaType.
    const cfg = randomBlob(24);
    await pushBlob(base, repo, cfg);
    imageReferrer = imageManifest({
      config: descriptorOf(imageReferrerConfigType, cfg),
      subject: subject.manifest.descriptor,
    });
    await pushManifest(base, repo, imageReferrer.digest, imageReferrer);

    // An index with a subject and no artifactType: no artifactType in its descriptor.
    const child = await pushImage(base, repo);
    indexReferrer = imageIndex({
      manifests: [child.manifest.descriptor],
      subject: subject.manifest.descriptor,
      annotations: { 'org.example.kind': 'index' },
    });
    await pushManifest(base, repo, indexReferrer.digest, indexReferrer);

    typedIndexReferrer = imageIndex({
      manifests: [child.manifest.descriptor],
      subject: subject.manifest.descriptor,
      artifactType: 'application/vnd.example.bundle.v1',
    });
    await pushManifest(base, repo, typedIndexReferrer.digest, typedIndexReferrer);
  });

  it('MUST answer 200 with Content-Type application/vnd.oci.image.index.v1+json', async () => {
    const { res, body } = await referrers(repo, subject.manifest.digest);
    expect(res.headers.get('content-type')).toBe(MT.ociIndex);
    expect(body.schemaVersion).toBe(2);
    expect(body.mediaType).toBe(MT.ociIndex);
    expect(Array.isArray(body.manifests)).toBe(true);
  });

  it('lists every manifest whose subject is <digest>, each exactly once', async () => {
    const { body } = await referrers(repo, subject.manifest.digest);
    const digests = body.manifests.map((d) => d.digest).sort();
    expect(digests).toEqual(
      [sbom.digest, sig.digest, imageReferrer.digest, indexReferrer.digest, typedIndexReferrer.digest].sort(),
    );
  });

  it('each descriptor carries mediaType, digest and size of the referrer', async () => {
    const { body } = await referrers(repo, subject.manifest.digest);
    for (const m of [sbom, sig, imageReferrer, indexReferrer, typedIndexReferrer]) {
      const d = byDigest(body.manifests, m.digest);
      expect(d, m.digest).toBeDefined();
      expect(d?.mediaType).toBe(m.mediaType);
      expect(d?.size).toBe(m.bytes.length);
    }
  });

  it("the descriptor's artifactType MUST be the manifest's artifactType when it has one", async () => {
    const { body } = await referrers(repo, subject.manifest.digest);
    expect(byDigest(body.manifests, sbom.digest)?.artifactType).toBe(SBOM);
    expect(byDigest(body.manifests, sig.digest)?.artifactType).toBe(SIG);
    expect(byDigest(body.manifests, typedIndexReferrer.digest)?.artifactType).toBe('application/vnd.example.bundle.v1');
  });

  it('an image manifest without artifactType MUST be listed with its config mediaType as artifactType', async () => {
    const { body } = await referrers(repo, subject.manifest.digest);
    expect(byDigest(body.manifests, imageReferrer.digest)?.artifactType).toBe(imageReferrerConfigType);
  });

  it('an index without artifactType MUST be listed without artifactType', async () => {
    const { body } = await referrers(repo, subject.manifest.digest);
    const d = byDigest(body.manifests, indexReferrer.digest);
    expect(d).toBeDefined();
    expect(d?.artifactType ?? undefined).toBeUndefined();
  });

  it("each descriptor MUST include all the referrer's annotations", async () => {
    const { body } = await referrers(repo, subject.manifest.digest);
    expect(byDigest(body.manifests, sbom.digest)?.annotations).toEqual({
      'org.opencontainers.image.created': '2024-01-01T00:00:00Z',
      'org.example.sbom.format': 'json',
    });
    expect(byDigest(body.manifests, sig.digest)?.annotations).toEqual({ 'org.example.signature.fingerprint': 'abcd' });
    expect(byDigest(body.manifests, indexReferrer.digest)?.annotations).toEqual({ 'org.example.kind': 'index' });
  });

  it('?artifactType= filters the list and sets OCI-Filters-Applied: artifactType', async () => {
    const { res, body } = await referrers(repo, subject.manifest.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
    expect(res.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(body.manifests.map((d) => d.digest)).toEqual([sbom.digest]);
  });

  it('filtering by a config mediaType finds the image manifest without artifactType', async () => {
    const { body } = await referrers(
      repo,
      subject.manifest.digest,
      `?artifactType=${encodeURIComponent(imageReferrerConfigType)}`,
    );
    expect(body.manifests.map((d) => d.digest)).toEqual([imageReferrer.digest]);
  });

  it('a filter that matches nothing yields an empty manifests list (and still the header)', async () => {
    const { res, body } = await referrers(repo, subject.manifest.digest, '?artifactType=application%2Fvnd.none');
    expect(body.manifests).toEqual([]);
    expect(res.headers.get('oci-filters-applied')).toBe('artifactType');
  });

  it('without a filter, OCI-Filters-Applied is absent', async () => {
    const { res } = await referrers(repo, subject.manifest.digest);
    expect(res.headers.get('oci-filters-applied')).toBeNull();
  });

  it('a digest with no referrers: 200 with an empty manifests list (MUST NOT be 404)', async () => {
    const { body } = await referrers(repo, sbom.digest);
    expect(body.manifests).toEqual([]);
    const unknown = await referrers(repo, sha256(randomBlob()));
    expect(unknown.body.manifests).toEqual([]);
    expect(unknown.res.headers.get('content-type')).toBe(MT.ociIndex);
  });

  it('an invalid digest MUST answer 400', async () => {
    const res = await http(base, `/v2/${repo}/referrers/sha256:not-a-digest`);
    expect(res.status).toBe(400);
    await res.arrayBuffer();
    const res2 = await http(base, `/v2/${repo}/referrers/latest`);
    expect(res2.status).toBe(400);
    await res2.arrayBuffer();
  });

  it('the referrer itself is pullable and keeps its subject', async () => {
    const res = await http(base, `/v2/${repo}/manifests/${sbom.digest}`, { headers: { accept: MT.ociManifest } });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { subject?: Descriptor };
    expect(json.subject?.digest).toBe(subject.manifest.digest);
  });
});

describe('referrers: lifecycle and scoping', () => {
  it('a referrer pushed before its subject exists is listed (and once the subject arrives)', async () => {
    const repo = uniqueRepo('ref-early');
    await pushEmptyConfig(base, repo);
    const cfg = randomBlob(30);
    const layer = randomBlob(30);
    const future = imageManifest({ config: descriptorOf(MT.ociConfig, cfg), layers: [descriptorOf(MT.ociLayer, layer)] });
    const art = artifactManifest({ artifactType: SIG, subject: future.descriptor });
    const put = await pushManifest(base, repo, art.digest, art);
    expect(put.headers.get('oci-subject')).toBe(future.digest);

    const before = await referrers(repo, future.digest);
    expect(before.body.manifests.map((d) => d.digest)).toEqual([art.digest]);

    await pushBlob(base, repo, cfg);
    await pushBlob(base, repo, layer);
    await pushManifest(base, repo, 'now', future);
    const after = await referrers(repo, future.digest);
    expect(after.body.manifests.map((d) => d.digest)).toEqual([art.digest]);
  });

  it('a deleted referrer is no longer listed', async () => {
    const repo = uniqueRepo('ref-delete');
    const subject = await pushImage(base, repo, 'x');
    await pushEmptyConfig(base, repo);
    const a = artifactManifest({ artifactType: SBOM, subject: subject.manifest.descriptor });
    const b = artifactManifest({ artifactType: SIG, subject: subject.manifest.descriptor });
    await pushManifest(base, repo, a.digest, a);
    await pushManifest(base, repo, b.digest, b);
    const del = await http(base, `/v2/${repo}/manifests/${a.digest}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const { body } = await referrers(repo, subject.manifest.digest);
    expect(body.manifests.map((d) => d.digest)).toEqual([b.digest]);
  });

  it('referrers are scoped to the repository', async () => {
    const a = uniqueRepo('ref-scope-a');
    const b = uniqueRepo('ref-scope-b');
    const subject = await pushImage(base, a, 'x');
    // Same subject bytes in b, with a referrer only in b.
    await pushImageCopy(base, b, subject, 'x');
    await pushEmptyConfig(base, b);
    const art = artifactManifest({ artifactType: SIG, subject: subject.manifest.descriptor });
    await pushManifest(base, b, art.digest, art);

    expect((await referrers(a, subject.manifest.digest)).body.manifests).toEqual([]);
    expect((await referrers(b, subject.manifest.digest)).body.manifests.map((d) => d.digest)).toEqual([art.digest]);
  });

  it('a referrer pushed by tag is listed too', async () => {
    const repo = uniqueRepo('ref-tagged');
    const subject = await pushImage(base, repo, 'x');
    await pushEmptyConfig(base, repo);
    const art = artifactManifest({ artifactType: SBOM, subject: subject.manifest.descriptor });
    await pushManifest(base, repo, 'sbom', art);
    const { body } = await referrers(repo, subject.manifest.digest);
    expect(body.manifests.map((d) => d.digest)).toEqual([art.digest]);
  });

  it('a subject given by its sha512 digest is answered on the sha512 referrers URL', async () => {
    const repo = uniqueRepo('ref-unknown-alg');
    await pushEmptyConfig(base, repo);
    const ghostDigest = `sha512:${'ab'.repeat(64)}`;
    const art = artifactManifest({
      artifactType: SBOM,
      subject: { mediaType: MT.ociManifest, digest: ghostDigest, size: 100 },
    });
    await pushManifest(base, repo, art.digest, art);
    const { body } = await referrers(repo, ghostDigest);
    expect(body.manifests.map((d) => d.digest)).toEqual([art.digest]);
  });

  it('an artifactType containing "+" (percent-encoded) filters correctly', async () => {
    const repo = uniqueRepo('ref-plus');
    const subject = await pushImage(base, repo, 'x');
    await pushEmptyConfig(base, repo);
    const plus = 'application/vnd.example.sbom.v1+json';
    const art = artifactManifest({ artifactType: plus, subject: subject.manifest.descriptor });
    const other = artifactManifest({ artifactType: SIG, subject: subject.manifest.descriptor });
    await pushManifest(base, repo, art.digest, art);
    await pushManifest(base, repo, other.digest, other);
    const { res, body } = await referrers(repo, subject.manifest.digest, `?artifactType=${encodeURIComponent(plus)}`);
    expect(res.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(body.manifests.map((d) => d.digest)).toEqual([art.digest]);
    expect(body.manifests[0]?.artifactType).toBe(plus);
  });

  it('many referrers (25) are all listed, following Link rel="next" if the Hub pages them', async () => {
    const repo = uniqueRepo('ref-many');
    const subject = await pushImage(base, repo, 'x');
    await pushEmptyConfig(base, repo);
    const arts = Array.from({ length: 25 }, (_, i) =>
      artifactManifest({ artifactType: SBOM, subject: subject.manifest.descriptor, annotations: { i: String(i) } }),
    );
    await Promise.all(arts.map((a) => pushManifest(base, repo, a.digest, a)));
    const seen: string[] = [];
    let target: string | undefined = `/v2/${repo}/referrers/${subject.manifest.digest}`;
    for (let pages = 0; target; pages++) {
      expect(pages).toBeLessThan(30);
      const res = await http(base, target);
      expect(res.status).toBe(200);
      seen.push(...((await res.json()) as ReferrersIndex).manifests.map((d) => d.digest));
      const link = res.headers.get('link');
      target = link ? /<([^>]*)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
    }
    expect(seen.sort()).toEqual(arts.map((a) => a.digest).sort());
  });

  it('a referrers request in a repository that does not exist is not a server error (200 empty or 404)', async () => {
    const res = await http(base, `/v2/${uniqueRepo('ref-ghost')}/referrers/${sha256(randomBlob())}`);
    if (res.status === 200) {
      const body = (await res.json()) as ReferrersIndex;
      expect(body.manifests).toEqual([]);
    } else {
      await expectError(res, 404, ['NAME_UNKNOWN']);
    }
  });
});
