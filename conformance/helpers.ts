/**
 * Shared helpers for the black-box OCI distribution-spec v1.1 conformance suite.
 *
 * Everything here talks to the Hub over plain HTTP: `fetch` for ordinary requests and
 * `node:http` for the few requests whose path `fetch` would normalise (dot segments).
 * Every response passes through {@link assertNo5xx}: the suite holds that no request, however
 * malformed, may make the Hub answer with a server error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';

// ---------------------------------------------------------------------------------------------
// Media types and well-known content
// ---------------------------------------------------------------------------------------------

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Accept header listing every manifest type the suite uses. */
export const MANIFEST_ACCEPT = [MT.ociManifest, MT.ociIndex, MT.dockerManifest, MT.dockerManifestList].join(', ');

/** The OCI "empty" descriptor content: the two bytes `{}`. */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

// ---------------------------------------------------------------------------------------------
// Digests and content
// ---------------------------------------------------------------------------------------------

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function sha512(data: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(data).digest('hex')}`;
}

/** Fresh random bytes, so every test pushes content no other test has pushed. */
export function randomBlob(size = 64): Buffer {
  return randomBytes(size);
}

let repoCounter = 0;
/** A repository name unique within the run, e.g. `conf/push-3-1a2b3c`. */
export function uniqueRepo(prefix = 'repo'): string {
  repoCounter += 1;
  return `conf/${prefix}-${repoCounter}-${randomBytes(3).toString('hex')}`;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export function descriptorOf(mediaType: string, data: Uint8Array, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: sha256(data), size: data.length, ...extra };
}

export const EMPTY_DESCRIPTOR: Descriptor = { mediaType: MT.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 };

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/** Fails the current test when the Hub answers with a 5xx. */
export function assertNo5xx(method: string, url: string, status: number): void {
  expect(status, `${method} ${url} must not answer with a server error`).toBeLessThan(500);
}

/** The administrator every test Hub starts with (its NOCKER_ADMIN_PASSWORD). */
export const TEST_ADMIN = { username: 'admin', password: 'nocker-test-admin-password' } as const;

/** `Basic …` for a name and password. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** What the suite sends unless a test says otherwise: the administrator's Basic credentials. */
export const ADMIN_AUTHORIZATION = basicAuth(TEST_ADMIN.username, TEST_ADMIN.password);

export type RequestOptions = Omit<RequestInit, 'body' | 'headers'> & {
  body?: Uint8Array | string | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  /** Send no credentials at all (by default the administrator's go with every request). */
  anonymous?: boolean;
};

/** The headers of a suite request: the administrator's credentials unless the test set its own or none. */
export function withCredentials(headers: Record<string, string> = {}, anonymous = false): Record<string, string> {
  if (anonymous || Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) return headers;
  return { Authorization: ADMIN_AUTHORIZATION, ...headers };
}

/**
 * `fetch` against the Hub: `target` is a path (`/v2/...`) or a Location header value, either
 * relative or absolute, resolved against `base`. Never follows redirects, asserts no 5xx.
 */
export async function http(base: string, target: string, options: RequestOptions = {}): Promise<Response> {
  const url = resolveUrl(base, target);
  const method = options.method ?? 'GET';
  const { anonymous, ...rest } = options;
  const init: RequestInit & { duplex?: 'half' } = { ...rest, headers: withCredentials(options.headers, anonymous), redirect: 'manual' } as RequestInit;
  if (options.body instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(url, init);
  assertNo5xx(method, url, res.status);
  return res;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose path is sent byte for byte (no `..` or `//` normalisation), via node:http. */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
  anonymous = false,
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port: Number(port), method, path, headers: withCredentials({ ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, anonymous) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          assertNo5xx(method, path, status);
          resolve({ status, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends a request that announces `declaredLength` body bytes but dies after `sent` of them: the
 * client's connection drops mid-body. Resolves once the socket is gone (the Hub may or may not
 * have answered; any answer must not be a 2xx or a 5xx).
 */
export function interruptedRequest(
  base: string,
  method: string,
  target: string,
  headers: Record<string, string>,
  sent: Buffer,
  declaredLength: number,
): Promise<void> {
  const url = new URL(target, base);
  return new Promise((resolve) => {
    const req = httpRequest({
      host: url.hostname,
      port: Number(url.port),
      method,
      path: `${url.pathname}${url.search}`,
      headers: withCredentials({ ...headers, 'content-length': String(declaredLength) }),
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      assertNo5xx(method, target, status);
      expect(status, 'an interrupted body must not be accepted').not.toBe(202);
      res.resume();
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(sent, () => {
      // Give the bytes a moment on the wire, then drop the connection.
      setImmediate(() => req.destroy());
    });
  });
}

/** Resolves a Location value (relative or absolute) against the Hub's base URL. */
export function resolveUrl(base: string, target: string): string {
  return new URL(target, base).toString();
}

/**
 * Adds query parameters to a Location exactly as returned, keeping any query string the Hub put
 * there (the spec lets a Location carry parameters significant to the registry).
 */
export function withQuery(location: string, params: Record<string, string>): string {
  const [path, query = ''] = splitQuery(location);
  const search = new URLSearchParams(query);
  for (const [k, v] of Object.entries(params)) search.set(k, v);
  return `${path}?${search.toString()}`;
}

function splitQuery(location: string): [string, string | undefined] {
  const i = location.indexOf('?');
  return i < 0 ? [location, undefined] : [location.slice(0, i), location.slice(i + 1)];
}

export async function bodyBytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

export interface ErrorBody {
  errors: { code: string; message?: string; detail?: unknown }[];
}

/**
 * Asserts the spec's error envelope `{"errors":[{"code","message","detail"?}]}`, the status, and
 * that at least one error carries one of `codes`. Returns the parsed body.
 */
export async function expectError(res: Response, status: number | number[], codes: string[]): Promise<ErrorBody> {
  const statuses = Array.isArray(status) ? status : [status];
  const text = await res.text();
  expect(statuses, `status ${res.status}, body: ${text.slice(0, 300)}`).toContain(res.status);
  const body = parseErrorBody(text);
  const got = body.errors.map((e) => e.code);
  expect(
    got.some((c) => codes.includes(c)),
    `expected an error code among ${codes.join('|')}, got ${got.join(', ')}`,
  ).toBe(true);
  return body;
}

/** Parses and checks the shape of an error body. */
export function parseErrorBody(text: string): ErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`error body is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  expect(parsed, 'error body is an object').toBeTypeOf('object');
  const errors = (parsed as { errors?: unknown }).errors;
  expect(Array.isArray(errors), `error body has an "errors" array: ${text.slice(0, 200)}`).toBe(true);
  const list = errors as unknown[];
  expect(list.length).toBeGreaterThan(0);
  for (const e of list) {
    expect(e).toBeTypeOf('object');
    const { code, message } = e as { code?: unknown; message?: unknown };
    expect(code, 'error.code is a string').toBeTypeOf('string');
    expect(code as string).toMatch(/^[A-Z][A-Z_]*$/);
    if (message !== undefined) expect(message).toBeTypeOf('string');
  }
  return parsed as ErrorBody;
}

/** Extracts the `rel="next"` target of an RFC 5988 Link header, or undefined. */
export function nextLink(res: Response): string | undefined {
  const link = res.headers.get('link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Push helpers
// ---------------------------------------------------------------------------------------------

/** Starts an upload session; returns the Location exactly as the Hub gave it. */
export async function startUpload(base: string, repo: string): Promise<string> {
  const res = await http(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(res.status, `POST upload in ${repo}: ${await res.clone().text()}`).toBe(202);
  const location = res.headers.get('location');
  expect(location, 'upload Location header').toBeTruthy();
  await res.arrayBuffer();
  return location as string;
}

/** Pushes a blob with POST then PUT (the flow every registry supports); returns its digest. */
export async function pushBlob(base: string, repo: string, data: Uint8Array, digest = sha256(data)): Promise<string> {
  const location = await startUpload(base, repo);
  const res = await http(base, withQuery(location, { digest }), {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.status, `PUT blob ${digest} in ${repo}: ${await res.clone().text()}`).toBe(201);
  await res.arrayBuffer();
  return digest;
}

/** Pushes a manifest; returns the response (status already checked as 201). */
export async function pushManifest(
  base: string,
  repo: string,
  reference: string,
  manifest: BuiltManifest | { bytes: Buffer; mediaType: string },
): Promise<Response> {
  const res = await putManifest(base, repo, reference, manifest.bytes, manifest.mediaType);
  expect(res.status, `PUT manifest ${repo}:${reference}: ${await res.clone().text()}`).toBe(201);
  return res;
}

export function putManifest(
  base: string,
  repo: string,
  reference: string,
  bytes: Uint8Array | string,
  contentType: string,
): Promise<Response> {
  return http(base, `/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': contentType },
  });
}

export function getManifest(base: string, repo: string, reference: string, method = 'GET'): Promise<Response> {
  return http(base, `/v2/${repo}/manifests/${reference}`, { method, headers: { accept: MANIFEST_ACCEPT } });
}

// ---------------------------------------------------------------------------------------------
// Manifest builders
// ---------------------------------------------------------------------------------------------

export interface BuiltManifest {
  /** The exact bytes to PUT. */
  bytes: Buffer;
  digest: string;
  mediaType: string;
  /** A descriptor of this manifest, to reference it from an index or `subject`. */
  descriptor: Descriptor;
  json: Record<string, unknown>;
}

function build(mediaType: string, json: Record<string, unknown>, indent?: number): BuiltManifest {
  const bytes = Buffer.from(JSON.stringify(json, null, indent));
  const digest = sha256(bytes);
  return { bytes, digest, mediaType, descriptor: { mediaType, digest, size: bytes.length }, json };
}

export interface ImageManifestOptions {
  config: Descriptor;
  layers?: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Leave out the `mediaType` field (it is only a SHOULD in the image spec). */
  omitMediaType?: boolean;
  /** Pretty-print with this indent, to prove the Hub stores bytes rather than re-serialising. */
  indent?: number;
}

/** An OCI image manifest (`application/vnd.oci.image.manifest.v1+json`). */
export function imageManifest(o: ImageManifestOptions): BuiltManifest {
  const json: Record<string, unknown> = { schemaVersion: 2 };
  if (!o.omitMediaType) json.mediaType = MT.ociManifest;
  if (o.artifactType) json.artifactType = o.artifactType;
  json.config = o.config;
  json.layers = o.layers ?? [];
  if (o.subject) json.subject = o.subject;
  if (o.annotations) json.annotations = o.annotations;
  return build(MT.ociManifest, json, o.indent);
}

export interface IndexOptions {
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** An OCI image index (`application/vnd.oci.image.index.v1+json`). */
export function imageIndex(o: IndexOptions): BuiltManifest {
  const json: Record<string, unknown> = { schemaVersion: 2, mediaType: MT.ociIndex };
  if (o.artifactType) json.artifactType = o.artifactType;
  json.manifests = o.manifests;
  if (o.subject) json.subject = o.subject;
  if (o.annotations) json.annotations = o.annotations;
  return build(MT.ociIndex, json);
}

/**
 * An artifact manifest in the v1.1 style: an OCI image manifest with `artifactType`, the empty
 * config, and (optionally) a `subject`.
 */
export function artifactManifest(o: {
  artifactType: string;
  layers?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}): BuiltManifest {
  return imageManifest({
    artifactType: o.artifactType,
    config: EMPTY_DESCRIPTOR,
    layers: o.layers ?? [EMPTY_DESCRIPTOR],
    subject: o.subject,
    annotations: o.annotations,
  });
}

/** A Docker image manifest, schema 2. */
export function dockerManifest(config: Descriptor, layers: Descriptor[]): BuiltManifest {
  return build(MT.dockerManifest, { schemaVersion: 2, mediaType: MT.dockerManifest, config, layers });
}

/** A Docker manifest list. */
export function dockerManifestList(manifests: Descriptor[]): BuiltManifest {
  return build(MT.dockerManifestList, { schemaVersion: 2, mediaType: MT.dockerManifestList, manifests });
}

export interface PushedImage {
  manifest: BuiltManifest;
  config: { bytes: Buffer; descriptor: Descriptor };
  layer: { bytes: Buffer; descriptor: Descriptor };
}

/** Pushes a config blob, one random layer and an OCI image manifest (to `reference`). */
export async function pushImage(
  base: string,
  repo: string,
  reference?: string,
  extra: Partial<ImageManifestOptions> = {},
): Promise<PushedImage> {
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBlob(8).toString('hex') }),
  );
  const layerBytes = randomBlob(256);
  await pushBlob(base, repo, configBytes);
  await pushBlob(base, repo, layerBytes);
  const config = { bytes: configBytes, descriptor: descriptorOf(MT.ociConfig, configBytes) };
  const layer = { bytes: layerBytes, descriptor: descriptorOf(MT.ociLayer, layerBytes) };
  const manifest = imageManifest({ config: config.descriptor, layers: [layer.descriptor], ...extra });
  await pushManifest(base, repo, reference ?? manifest.digest, manifest);
  return { manifest, config, layer };
}

/** Pushes an image pushed before (its blobs, then its manifest under `reference`) into `repo`. */
export async function pushImageCopy(base: string, repo: string, image: PushedImage, reference: string): Promise<void> {
  await pushBlob(base, repo, image.config.bytes);
  await pushBlob(base, repo, image.layer.bytes);
  await pushManifest(base, repo, reference, image.manifest);
}

/** Makes sure the empty config `{}` exists in `repo` (artifact manifests reference it). */
export async function pushEmptyConfig(base: string, repo: string): Promise<void> {
  await pushBlob(base, repo, EMPTY_JSON);
}
