/**
 * Pushing an image through a {@link HubClient}: each blob unless the Hub has it already (HEAD),
 * uploaded monolithically (POST, then one PUT streamed from its file), then the manifest under
 * a tag. Every request goes through `HubClient.v2`, which answers the token handshake.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { OciError } from '../oci/errors.ts';
import type { HubClient } from './client.ts';
import { errorFromResponse } from './errors.ts';

/** A blob to push: its bytes in memory (small JSON) or in a file (layers). */
export interface PushBlob {
  mediaType: string;
  digest: string;
  size: number;
  /** The file holding the bytes; read as a stream. */
  path?: string;
  /** The bytes themselves, for small blobs such as the config. */
  bytes?: Uint8Array;
}

/** What to push: the config and layers as blobs, and the manifest's exact bytes. */
export interface PushImageInput {
  config: PushBlob;
  layers: PushBlob[];
  manifest: { mediaType: string; digest: string; bytes: Uint8Array };
}

/** Told how many of a blob's `total` bytes have been sent or received so far. */
export type TransferProgress = (digest: string, done: number, total: number) => void;

export interface PushOptions {
  /** Told about each blob once it is on the Hub: `pushed`, or `exists` when the upload was skipped. */
  onBlob?: (blob: PushBlob, outcome: 'pushed' | 'exists') => void;
  /** Told as each uploaded blob's bytes are read into the request. */
  onProgress?: TransferProgress;
  signal?: AbortSignal;
}

export interface PushResult {
  /** The manifest's digest, as the Hub reported it. */
  digest: string;
  pushed: string[];
  skipped: string[];
}

/** The path (with query) of an upload Location, which may be absolute or relative. */
function uploadPath(client: HubClient, location: string): string {
  const url = new URL(location, client.url);
  if (url.origin !== new URL(client.url).origin) {
    throw new OciError('UNSUPPORTED', `the Hub sent the upload to another origin (${url.origin}); uploads elsewhere are not supported`);
  }
  return `${url.pathname}${url.search}`;
}

/** Yields `source`'s chunks unchanged, reporting the running byte count after each. */
async function* countBytes(source: AsyncIterable<Buffer>, onCount: (done: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of source) {
    done += chunk.length;
    onCount(done);
    yield chunk;
  }
}

/** The request body for a blob: its bytes, or its file streamed (and counted when someone listens). */
function blobBody(blob: PushBlob, onProgress: TransferProgress | undefined): NonNullable<RequestInit['body']> {
  if (blob.bytes) return blob.bytes;
  if (!blob.path) throw new TypeError(`blob ${blob.digest} has neither bytes nor a file`);
  const file = createReadStream(blob.path);
  const stream = onProgress ? Readable.from(countBytes(file, (done) => onProgress(blob.digest, done, blob.size)), { objectMode: false }) : file;
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}

/**
 * Makes sure the Hub has `blob` in `repository`: HEAD first, and if it is missing, POST an
 * upload and PUT the bytes in one request. Resolves to what was done.
 *
 * @example
 * await pushBlob(client, 'team/app', { mediaType: layer.mediaType, digest: layer.digest, size: layer.size, path: layer.path });
 * await pushBlob(client, 'team/app', layer, undefined, (digest, done, total) => console.log(digest, done, total));
 */
export async function pushBlob(client: HubClient, repository: string, blob: PushBlob, signal?: AbortSignal, onProgress?: TransferProgress): Promise<'pushed' | 'exists'> {
  const blobPath = `/v2/${repository}/blobs/${blob.digest}`;
  const head = await client.v2('HEAD', blobPath, { signal });
  await head.body?.cancel();
  if (head.ok) return 'exists';
  if (head.status !== 404) throw await errorFromResponse(head, `HEAD ${blobPath}`);

  const start = await client.v2('POST', `/v2/${repository}/blobs/uploads/`, { signal });
  if (start.status !== 202) throw await errorFromResponse(start, `POST /v2/${repository}/blobs/uploads/`);
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (!location) throw new OciError('BLOB_UPLOAD_INVALID', `the Hub started an upload to ${repository} without a Location`);
  const path = uploadPath(client, location);
  const target = `${path}${path.includes('?') ? '&' : '?'}digest=${encodeURIComponent(blob.digest)}`;

  onProgress?.(blob.digest, 0, blob.size);
  const put = await client.v2('PUT', target, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
    body: blobBody(blob, onProgress),
    signal,
    scope: `repository:${repository}:pull,push`,
  });
  if (put.status !== 201) throw await errorFromResponse(put, `PUT ${repository} blob ${blob.digest}`);
  await put.body?.cancel();
  // Bytes in memory go in one piece: all of them are sent once the Hub has answered.
  if (blob.bytes) onProgress?.(blob.digest, blob.size, blob.size);
  return 'pushed';
}

/**
 * Makes `digest` available in `repository` without sending its bytes: 'exists' when it is there
 * already, 'mounted' when the Hub linked it from `from`; 'declined' when the Hub opened an upload
 * instead (that upload is cancelled), so the caller decides whether to send the bytes.
 *
 * @example
 * if ((await mountBlob(client, 'team/app', 'base/os', layer.digest)) === 'declined') await pushBlob(client, 'team/app', layer);
 */
export async function mountBlob(client: HubClient, repository: string, from: string, digest: string): Promise<'exists' | 'mounted' | 'declined'> {
  const blobPath = `/v2/${repository}/blobs/${digest}`;
  const head = await client.v2('HEAD', blobPath);
  await head.body?.cancel();
  if (head.ok) return 'exists';
  if (head.status !== 404) throw await errorFromResponse(head, `HEAD ${blobPath}`);

  const mountPath = `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
  // The token must grant pull on the source as well as push on the target.
  const res = await client.v2('POST', mountPath, { scope: `repository:${repository}:pull,push repository:${from}:pull` });
  if (res.status === 201) {
    await res.body?.cancel();
    return 'mounted';
  }
  if (res.status !== 202) throw await errorFromResponse(res, `POST ${mountPath}`);
  await res.body?.cancel();
  const location = res.headers.get('location');
  const session = location ? new URL(location, client.url) : undefined;
  // An upload session elsewhere is not ours to cancel through this client.
  if (session && session.origin === new URL(client.url).origin) {
    const cancel = await client.v2('DELETE', `${session.pathname}${session.search}`, { scope: `repository:${repository}:pull,push` });
    await cancel.body?.cancel();
  }
  return 'declined';
}

/**
 * Pushes an image's blobs (layers, then config) and its manifest under `tag`; resolves to the
 * manifest's digest and which blobs were uploaded or already there.
 *
 * @example
 * const { digest } = await pushImage(client, 'team/app', 'v1', { config, layers: [layer], manifest });
 */
export async function pushImage(client: HubClient, repository: string, tag: string, image: PushImageInput, options: PushOptions = {}): Promise<PushResult> {
  const pushed: string[] = [];
  const skipped: string[] = [];
  for (const blob of [...image.layers, image.config]) {
    const outcome = await pushBlob(client, repository, blob, options.signal, options.onProgress);
    (outcome === 'pushed' ? pushed : skipped).push(blob.digest);
    options.onBlob?.(blob, outcome);
  }
  const digest = await putManifest(client, repository, tag, image.manifest, options.signal);
  return { digest, pushed, skipped };
}

/**
 * PUTs a manifest's exact bytes (an image manifest or an index) under `reference`, a tag or its
 * digest, and resolves to the digest the Hub reports; a Hub that stored other bytes is an error.
 *
 * @example
 * await putManifest(client, 'team/app', 'v1', { mediaType: MediaType.OciIndex, digest, bytes });
 */
export async function putManifest(client: HubClient, repository: string, reference: string, manifest: PushImageInput['manifest'], signal?: AbortSignal): Promise<string> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const res = await client.v2('PUT', path, { headers: { 'Content-Type': manifest.mediaType }, body: manifest.bytes, signal });
  if (res.status !== 201) throw await errorFromResponse(res, `PUT ${path}`);
  await res.body?.cancel();
  const digest = res.headers.get('docker-content-digest') ?? manifest.digest;
  if (digest !== manifest.digest) throw new OciError('MANIFEST_INVALID', `the Hub stored the manifest as ${digest}, expected ${manifest.digest}`);
  return digest;
}
