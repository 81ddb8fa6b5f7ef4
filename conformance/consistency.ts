/**
 * What must hold after a crash, a restart or a garbage collection, checked over HTTP only:
 *
 * - everything the Hub acknowledged is still served, byte for byte ({@link Ledger});
 * - no manifest the Hub serves lists a blob or child manifest it cannot serve
 *   ({@link checkReferences}): every repository of the catalog, every tag, every manifest those
 *   tags reach, and any further manifests a test names (untagged ones the catalog cannot list).
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { bodyBytes, getManifest, http, type PushedImage } from './helpers.ts';

/** `sha256:…` or `sha512:…` of `data`, in the algorithm `digest` names. */
export function digestLike(digest: string, data: Uint8Array): string {
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** GET a blob and check the bytes hash to its digest; returns them. */
export async function expectBlobReadable(base: string, repo: string, digest: string, what = ''): Promise<Buffer> {
  const res = await http(base, `/v2/${repo}/blobs/${digest}`);
  const bytes = await bodyBytes(res);
  expect(res.status, `${what}GET ${base}/v2/${repo}/blobs/${digest}: ${bytes.toString().slice(0, 300)}`).toBe(200);
  expect(digestLike(digest, bytes), `${what}bytes of ${repo}@${digest}`).toBe(digest);
  return bytes;
}

interface AcknowledgedBlob {
  repo: string;
  digest: string;
  bytes: Buffer;
}

interface AcknowledgedManifest {
  repo: string;
  /** Tags it was pushed under (the digest always works as a reference too). */
  tags: Set<string>;
  digest: string;
  bytes: Buffer;
}

/** Everything a test saw the Hub acknowledge (201), to check after each crash. */
export class Ledger {
  private readonly blobs = new Map<string, AcknowledgedBlob>();
  private readonly manifests = new Map<string, AcknowledgedManifest>();

  blob(repo: string, digest: string, bytes: Buffer): void {
    this.blobs.set(`${repo}@${digest}`, { repo, digest, bytes });
  }

  manifest(repo: string, digest: string, bytes: Buffer, tag?: string): void {
    const key = `${repo}@${digest}`;
    const known = this.manifests.get(key) ?? { repo, digest, bytes, tags: new Set<string>() };
    if (tag !== undefined) known.tags.add(tag);
    this.manifests.set(key, known);
  }

  /** An image pushed with `pushImage`: its two blobs and its manifest. */
  image(repo: string, image: PushedImage, tag?: string): void {
    this.blob(repo, image.config.descriptor.digest, image.config.bytes);
    this.blob(repo, image.layer.descriptor.digest, image.layer.bytes);
    this.manifest(repo, image.manifest.digest, image.manifest.bytes, tag);
  }

  /** A tag moved to another manifest or deleted on purpose: it no longer points here. */
  forgetTag(repo: string, tag: string): void {
    for (const m of this.manifests.values()) if (m.repo === repo) m.tags.delete(tag);
  }

  /** Every acknowledged blob, as `{ repo, digest }`. */
  blobDigests(): { repo: string; digest: string }[] {
    return [...this.blobs.values()].map(({ repo, digest }) => ({ repo, digest }));
  }

  get size(): { blobs: number; manifests: number } {
    return { blobs: this.blobs.size, manifests: this.manifests.size };
  }

  /** Every acknowledged blob and manifest (by digest and by each tag) is served unchanged by each Hub. */
  async verify(bases: string[], what = ''): Promise<void> {
    for (const base of bases) {
      for (const blob of this.blobs.values()) {
        const bytes = await expectBlobReadable(base, blob.repo, blob.digest, what);
        expect(Buffer.compare(bytes, blob.bytes), `${what}acknowledged blob ${blob.repo}@${blob.digest}`).toBe(0);
      }
      for (const m of this.manifests.values()) {
        for (const reference of [m.digest, ...m.tags]) {
          const res = await getManifest(base, m.repo, reference);
          const bytes = await bodyBytes(res);
          expect(res.status, `${what}acknowledged manifest ${m.repo}:${reference} on ${base}: ${bytes.toString().slice(0, 300)}`).toBe(200);
          expect(res.headers.get('docker-content-digest'), `${what}${m.repo}:${reference}`).toBe(m.digest);
          expect(Buffer.compare(bytes, m.bytes), `${what}bytes of acknowledged manifest ${m.repo}:${reference}`).toBe(0);
        }
      }
    }
  }
}

interface ManifestDocument {
  layers?: { digest: string }[];
  config?: { digest: string };
  manifests?: { digest: string }[];
  blobs?: { digest: string }[];
}

export interface ReferenceWalk {
  repositories: number;
  manifests: number;
  blobs: number;
}

/**
 * Walks what the Hub serves: every repository of `/v2/_catalog`, every tag, and `extra`
 * manifests (`repo@digest`), checking that each manifest reached is whole (its bytes hash to its
 * digest) and that every blob and child manifest it lists is served (blobs byte-checked).
 */
export async function checkReferences(base: string, extra: { repo: string; digest: string }[] = [], what = ''): Promise<ReferenceWalk> {
  const walk: ReferenceWalk = { repositories: 0, manifests: 0, blobs: 0 };
  const seenManifests = new Set<string>();
  const seenBlobs = new Set<string>();

  const visitManifest = async (repo: string, reference: string, must: boolean): Promise<void> => {
    const res = await getManifest(base, repo, reference);
    const bytes = await bodyBytes(res);
    if (!must && res.status === 404) return;
    expect(res.status, `${what}manifest ${repo}:${reference} on ${base}: ${bytes.toString().slice(0, 300)}`).toBe(200);
    const digest = res.headers.get('docker-content-digest') ?? '';
    expect(digestLike(digest, bytes), `${what}${repo}:${reference} is whole`).toBe(digest);
    if (seenManifests.has(`${repo}@${digest}`)) return;
    seenManifests.add(`${repo}@${digest}`);
    walk.manifests += 1;
    const doc = JSON.parse(bytes.toString()) as ManifestDocument;
    const blobs = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? []), ...(doc.blobs ?? [])];
    for (const blob of blobs) {
      if (seenBlobs.has(`${repo}@${blob.digest}`)) continue;
      seenBlobs.add(`${repo}@${blob.digest}`);
      walk.blobs += 1;
      await expectBlobReadable(base, repo, blob.digest, `${what}${repo}@${digest} lists blob: `);
    }
    for (const child of doc.manifests ?? []) await visitManifest(repo, child.digest, true);
  };

  for (const repo of await listAll(base, '/v2/_catalog', 'repositories')) {
    walk.repositories += 1;
    for (const tag of await listAll(base, `/v2/${repo}/tags/list`, 'tags')) await visitManifest(repo, tag, true);
  }
  for (const { repo, digest } of extra) await visitManifest(repo, digest, false);
  return walk;
}

/** All entries of a paginated listing (`_catalog` or `tags/list`), following `Link` headers. */
async function listAll(base: string, path: string, key: 'repositories' | 'tags'): Promise<string[]> {
  const all: string[] = [];
  let next: string | undefined = `${path}?n=1000`;
  while (next) {
    const res = await http(base, next);
    if (res.status === 404) return all;
    expect(res.status, `GET ${next}`).toBe(200);
    const body = (await res.json()) as Record<string, string[] | null | undefined>;
    all.push(...(body[key] ?? []));
    const link = res.headers.get('link');
    next = link ? /<([^>]*)>/.exec(link)?.[1] : undefined;
  }
  return all;
}
