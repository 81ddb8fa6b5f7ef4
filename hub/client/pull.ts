/**
 * Pulling through a {@link HubClient}: references with a tag or a digest, manifests (an index
 * resolved to one platform's image), and blobs streamed to files while their digest is checked.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createDigester, digestOf, parseDigest } from '../oci/digest.ts';
import { OciError } from '../oci/errors.ts';
import { parseManifest, type Descriptor, type ParsedManifest } from '../oci/manifest.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { isTag, validateRepositoryName } from '../oci/names.ts';
import type { HubClient } from './client.ts';
import { errorFromResponse } from './errors.ts';
import type { TransferProgress } from './push.ts';

/** The manifest types a pull accepts, OCI and Docker, images and indexes. */
export const MANIFEST_ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

/** A reference to pull: a repository with a tag, a digest, or both. */
export interface RemoteReference {
  /** `host:port` when the reference names one. */
  hub?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Parses `[HOST[:PORT]/]NAME[:TAG][@DIGEST]`; without a tag or a digest the tag is `latest`.
 * Throws on an invalid name, tag or digest.
 *
 * @example
 * parseRemoteReference('127.0.0.1:5000/team/app@sha256:…'); // { hub: '127.0.0.1:5000', repository: 'team/app', digest: 'sha256:…' }
 * parseRemoteReference('team/app');                          // { repository: 'team/app', tag: 'latest' }
 */
export function parseRemoteReference(text: string): RemoteReference {
  const at = text.indexOf('@');
  const named = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : parseDigest(text.slice(at + 1)).value;
  const slash = named.indexOf('/');
  const first = slash === -1 ? '' : named.slice(0, slash);
  const hasHub = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const rest = hasHub ? named.slice(slash + 1) : named;
  const colon = rest.lastIndexOf(':');
  const repository = colon === -1 ? rest : rest.slice(0, colon);
  const tag = colon === -1 ? (digest ? undefined : 'latest') : rest.slice(colon + 1);
  validateRepositoryName(repository);
  if (tag !== undefined && !isTag(tag)) {
    throw new OciError('TAG_INVALID', `"${tag}" is not a valid tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`);
  }
  return { ...(hasHub ? { hub: first } : {}), repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** A manifest as fetched: its exact bytes, media type, digest and parsed form. */
export interface FetchedManifest {
  mediaType: string;
  digest: string;
  bytes: Uint8Array;
  parsed: ParsedManifest;
}

/**
 * A manifest's descriptor from a HEAD request: its digest, media type and size, without its
 * bytes. HEAD stays open under trust policies, so signing and verifying work on images the Hub
 * does not serve yet.
 *
 * @example
 * const { digest } = await headManifest(client, 'team/app', 'v1');
 */
export async function headManifest(client: HubClient, repository: string, reference: string, signal?: AbortSignal): Promise<Descriptor> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const res = await client.v2('HEAD', path, { headers: { Accept: MANIFEST_ACCEPT }, signal });
  // A HEAD answer has no body to say why: a 404 is said here.
  if (res.status === 404) throw new OciError('MANIFEST_UNKNOWN', `${repository}${reference.includes(':') ? '@' : ':'}${reference} is not on the Hub at ${client.host}`);
  if (!res.ok) throw await errorFromResponse(res, `HEAD ${path}`);
  const digest = res.headers.get('docker-content-digest');
  const size = Number(res.headers.get('content-length'));
  const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim();
  if (!digest || !mediaType || !Number.isInteger(size)) throw new OciError('UNSUPPORTED', `HEAD ${path}: the Hub did not give the manifest's digest, type and size`);
  if (reference.includes(':') && digest !== reference) throw new OciError('DIGEST_INVALID', `the Hub answered ${repository}@${reference} with the digest ${digest}`);
  return { mediaType, digest, size };
}

/**
 * Fetches a manifest by tag or digest. Its digest is computed from the bytes; fetched by digest,
 * bytes that do not match are refused.
 *
 * @example
 * const { digest, parsed } = await fetchManifest(client, 'team/app', 'v1');
 */
export async function fetchManifest(client: HubClient, repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const res = await client.v2('GET', path, { headers: { Accept: MANIFEST_ACCEPT }, signal });
  if (!res.ok) throw await errorFromResponse(res, `GET ${path}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const wanted = reference.includes(':') ? parseDigest(reference) : undefined;
  const digest = digestOf(bytes, wanted?.algorithm ?? 'sha256');
  if (wanted && digest !== wanted.value) throw new OciError('DIGEST_INVALID', `the Hub answered ${repository}@${wanted.value} with a manifest whose digest is ${digest}`);
  const parsed = parseManifest(bytes, res.headers.get('content-type') ?? undefined);
  return { mediaType: parsed.mediaType, digest, bytes, parsed };
}

/** `os/architecture[/variant]`, as in an index's `platform`. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** The index entry for `platform`: same os and architecture, and variant when one is asked for. */
export function selectPlatform(manifests: readonly Descriptor[], platform: PlatformSpec): Descriptor | undefined {
  const matching = manifests.filter((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
  if (platform.variant) return matching.find((m) => m.platform?.variant === platform.variant);
  return matching.find((m) => m.platform?.variant === undefined) ?? matching[0];
}

function describePlatform(p: Record<string, unknown> | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter((part): part is string => typeof part === 'string').join('/');
}

/** An image resolved from a reference: its manifest, and the index it was picked from, if any. */
export interface ResolvedImage {
  manifest: FetchedManifest;
  index?: FetchedManifest;
}

/**
 * Resolves a tag or digest to an image manifest: an index is resolved to the entry for
 * `platform`; none for it is MANIFEST_UNKNOWN naming the platforms there are.
 *
 * @example
 * const { manifest } = await resolveImage(client, 'team/app', 'v1', { os: 'linux', architecture: 'arm64' });
 */
export async function resolveImage(client: HubClient, repository: string, reference: string, platform: PlatformSpec, signal?: AbortSignal): Promise<ResolvedImage> {
  const top = await fetchManifest(client, repository, reference, signal);
  if (top.parsed.kind === 'image') return { manifest: top };
  const entry = selectPlatform(top.parsed.manifests, platform);
  if (!entry) {
    const available = top.parsed.manifests.map((m) => describePlatform(m.platform)).join(', ') || 'none';
    throw new OciError('MANIFEST_UNKNOWN', `${repository}:${reference} has no image for ${describePlatform({ ...platform })} (platforms: ${available})`);
  }
  const manifest = await fetchManifest(client, repository, entry.digest, signal);
  if (manifest.parsed.kind !== 'image') throw new OciError('MANIFEST_INVALID', `the ${describePlatform({ ...platform })} entry of ${repository}:${reference} is an index, not an image`);
  return { manifest, index: top };
}

/** Counts and hashes the bytes going through, failing when there are more than expected. */
function verifier(descriptor: Descriptor, onProgress?: TransferProgress): { stream: Transform; check(): void } {
  const { algorithm } = parseDigest(descriptor.digest);
  const digester = createDigester(algorithm);
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > descriptor.size) return done(new OciError('SIZE_INVALID', `blob ${descriptor.digest} is larger than the ${descriptor.size} bytes its descriptor says`));
      digester.hash.update(chunk);
      onProgress?.(descriptor.digest, size, descriptor.size);
      done(null, chunk);
    },
  });
  return {
    stream,
    check() {
      if (size !== descriptor.size) throw new OciError('SIZE_INVALID', `blob ${descriptor.digest} has ${size} bytes, its descriptor says ${descriptor.size}`);
      const actual = digester.digest();
      if (actual !== descriptor.digest) throw new OciError('DIGEST_INVALID', `blob ${descriptor.digest} arrived with the digest ${actual}`);
    },
  };
}

/**
 * Streams a blob into the file at `path`, hashing it on the way; a digest or size that does not
 * match the descriptor is an error and the file is removed. Memory use does not grow with the
 * blob's size.
 *
 * @example
 * await downloadBlob(client, 'team/app', manifest.parsed.blobs[0], '/tmp/layer');
 * await downloadBlob(client, 'team/app', blob, '/tmp/layer', undefined, (digest, done, total) => console.log(digest, done, total));
 */
export async function downloadBlob(client: HubClient, repository: string, descriptor: Descriptor, path: string, signal?: AbortSignal, onProgress?: TransferProgress): Promise<void> {
  const blobPath = `/v2/${repository}/blobs/${descriptor.digest}`;
  const res = await client.v2('GET', blobPath, { signal });
  if (!res.ok || !res.body) throw await errorFromResponse(res, `GET ${blobPath}`);
  onProgress?.(descriptor.digest, 0, descriptor.size);
  const check = verifier(descriptor, onProgress);
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), check.stream, createWriteStream(path, { flags: 'wx', mode: 0o644 }), { signal });
    check.check();
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** Fetches a small blob (a config) into memory, checking its digest. */
export async function fetchBlobBytes(client: HubClient, repository: string, descriptor: Descriptor, signal?: AbortSignal): Promise<Uint8Array> {
  const blobPath = `/v2/${repository}/blobs/${descriptor.digest}`;
  const res = await client.v2('GET', blobPath, { signal });
  if (!res.ok) throw await errorFromResponse(res, `GET ${blobPath}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const actual = digestOf(bytes, parseDigest(descriptor.digest).algorithm);
  if (actual !== descriptor.digest) throw new OciError('DIGEST_INVALID', `blob ${descriptor.digest} arrived with the digest ${actual}`);
  return bytes;
}

/** One page of a listing and the path of the next, from the `Link` header. */
function nextPage(res: Response, client: HubClient): string | undefined {
  const link = res.headers.get('link');
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link) : null;
  if (!match?.[1]) return undefined;
  const url = new URL(match[1], client.url);
  if (url.origin !== new URL(client.url).origin) throw new OciError('UNSUPPORTED', `the Hub sent the next page to another origin (${url.origin})`);
  return `${url.pathname}${url.search}`;
}

async function listAll(client: HubClient, first: string, member: 'repositories' | 'tags', signal?: AbortSignal): Promise<string[]> {
  const items: string[] = [];
  const seen = new Set<string>();
  let path: string | undefined = first;
  while (path !== undefined) {
    if (seen.has(path)) throw new OciError('PAGINATION_NUMBER_INVALID', `the Hub's pagination loops back to ${path}`);
    seen.add(path);
    const res = await client.v2('GET', path, { signal });
    if (!res.ok) throw await errorFromResponse(res, `GET ${path}`);
    const body = (await res.json()) as Record<string, unknown>;
    const page = body[member];
    if (page !== null && page !== undefined && !(Array.isArray(page) && page.every((x) => typeof x === 'string'))) {
      throw new OciError('UNSUPPORTED', `GET ${path}: "${member}" is not a list of names`);
    }
    items.push(...((page as string[] | null | undefined) ?? []));
    path = nextPage(res, client);
  }
  return items;
}

/** How a listing is fetched. */
export interface ListOptions {
  /** Entries asked for per page (`n`); the Hub says where the next page is. Default 100. */
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * The Hub's repositories (`GET /v2/_catalog`), following `Link` pagination to the end.
 *
 * @example
 * await listRepositories(client); // ['library/alpine', 'team/app']
 */
export function listRepositories(client: HubClient, options: ListOptions = {}): Promise<string[]> {
  return listAll(client, `/v2/_catalog?n=${options.pageSize ?? 100}`, 'repositories', options.signal);
}

/**
 * A repository's tags (`GET /v2/NAME/tags/list`), following `Link` pagination to the end.
 *
 * @example
 * await listTags(client, 'team/app'); // ['latest', 'v1']
 */
export function listTags(client: HubClient, repository: string, options: ListOptions = {}): Promise<string[]> {
  return listAll(client, `/v2/${repository}/tags/list?n=${options.pageSize ?? 100}`, 'tags', options.signal);
}
