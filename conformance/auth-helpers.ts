/**
 * Helpers for the access-control suite (`auth-*.test.ts`): accounts, namespaces and tokens made
 * through the Hub's own HTTP API, pushes under any credentials, and requests that carry exactly
 * the headers a test gives (no administrator credentials added behind its back).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  rawRequest,
  basicAuth,
  descriptorOf,
  http,
  imageManifest,
  MANIFEST_ACCEPT,
  MT,
  randomBlob,
  sha256,
  withQuery,
  type BuiltManifest,
  type RawResponse,
} from './helpers.ts';

/** The IP address a loopback client appears as, in the audit log. */
export const LOOPBACK_ADDRESSES = ['127.0.0.1', '::ffff:127.0.0.1'];

let nameCounter = 0;
/** A name unique within the run that is valid for an account, a namespace and a path component. */
export function uniqueName(prefix: string): string {
  nameCounter += 1;
  return `${prefix}-${nameCounter}-${randomBytes(3).toString('hex')}`;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** Credentials of an account a test created. */
export interface Account {
  name: string;
  password: string;
  /** Its `Basic …` header. */
  authorization: string;
}

/** A user created by the administrator. */
export async function createUser(base: string, options: { name?: string; admin?: boolean } = {}): Promise<Account> {
  const name = options.name ?? uniqueName('user');
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const res = await http(base, '/api/v1/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password, admin: options.admin ?? false }),
  });
  expect(res.status, `create user ${name}: ${await res.clone().text()}`).toBe(201);
  return { name, password, authorization: basicAuth(name, password) };
}

export interface NamespaceSettings {
  visibility?: 'public' | 'private';
  immutableTags?: boolean;
  deletePolicy?: 'developer' | 'maintainer' | 'owner' | 'admin';
}

/** A namespace created by the administrator. */
export async function createNamespace(base: string, settings: NamespaceSettings = {}, name = uniqueName('ns')): Promise<string> {
  const res = await http(base, '/api/v1/namespaces', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, ...settings }),
  });
  expect(res.status, `create namespace ${name}: ${await res.clone().text()}`).toBe(201);
  return name;
}

/** Gives `account` a role in `namespace`, as the administrator. */
export async function setMember(base: string, namespace: string, account: string, role: string): Promise<void> {
  const res = await http(base, `/api/v1/namespaces/${namespace}/members/${encodeURIComponent(account)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  expect(res.status, `set ${account} as ${role} of ${namespace}: ${await res.clone().text()}`).toBe(200);
}

/** A user with `role` in `namespace`. */
export async function member(base: string, namespace: string, role: string): Promise<Account> {
  const user = await createUser(base);
  await setMember(base, namespace, user.name, role);
  return user;
}

export interface RobotPermission {
  repository: string;
  actions: ('pull' | 'push' | 'delete')[];
}

/** A robot created by the administrator; `name` is the full `robot$…` login name. */
export async function createRobot(base: string, permissions: RobotPermission[], expiresAt?: Date): Promise<Account> {
  const res = await http(base, '/api/v1/robots', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: uniqueName('bot'), permissions, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) }),
  });
  const text = await res.text();
  expect(res.status, `create robot: ${text}`).toBe(201);
  const { name, secret } = JSON.parse(text) as { name: string; secret: string };
  expect(name.startsWith('robot$')).toBe(true);
  return { name, password: secret, authorization: basicAuth(name, secret) };
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  scope: string;
  refresh_token?: string;
}

/** The service name the Hub at `base` issues tokens for: its host, as the challenge names it. */
export function serviceOf(base: string): string {
  return new URL(base).host;
}

export interface TokenRequest {
  scopes?: string[];
  /** Basic credentials; none (an anonymous token) when absent. */
  authorization?: string;
  service?: string;
  offline?: boolean;
}

/** `GET /token` as a Docker client sends it; the raw response. */
export function requestToken(base: string, request: TokenRequest = {}): Promise<Response> {
  const query = new URLSearchParams({ service: request.service ?? serviceOf(base) });
  for (const scope of request.scopes ?? []) query.append('scope', scope);
  if (request.offline) query.set('offline_token', 'true');
  return http(base, `/token?${query.toString()}`, request.authorization ? { headers: { authorization: request.authorization } } : { anonymous: true });
}

/** `GET /token`, expected to succeed. */
export async function getToken(base: string, request: TokenRequest = {}): Promise<TokenResponse> {
  const res = await requestToken(base, request);
  const text = await res.text();
  expect(res.status, `GET /token: ${text}`).toBe(200);
  return JSON.parse(text) as TokenResponse;
}

/** `POST /token` with an OAuth2 form (what `docker login` sends). */
export function postToken(base: string, form: Record<string, string | string[]>): Promise<Response> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) body.append(key, v);
  return http(base, '/token', {
    method: 'POST',
    anonymous: true,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
}

/** The `access` claim of a token, read without verifying it. */
export function accessOf(token: string): { type: string; name: string; actions: string[] }[] {
  const [, payload] = token.split('.');
  return (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { access: { type: string; name: string; actions: string[] }[] }).access;
}

/** A `WWW-Authenticate: Bearer k="v",…` challenge as a map; undefined unless it is a Bearer one. */
export function parseBearerChallenge(header: string | null | undefined): Record<string, string> | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/([a-z_]+)="([^"]*)"/gi)) params[(match[1] ?? '').toLowerCase()] = match[2] ?? '';
  return params;
}

/** Asserts a 401 with a Bearer challenge and returns the challenge's parameters. */
export async function expectChallenge(res: Response): Promise<Record<string, string>> {
  const text = await res.text();
  expect(res.status, `expected 401, body: ${text.slice(0, 300)}`).toBe(401);
  const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
  expect(challenge, `WWW-Authenticate: ${res.headers.get('www-authenticate')}`).toBeDefined();
  return challenge as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Requests under chosen credentials
// ---------------------------------------------------------------------------------------------

/**
 * A request carrying `authorization` (or nothing when undefined) instead of the administrator's
 * credentials.
 */
export function httpAs(base: string, authorization: string | undefined, target: string, options: Parameters<typeof http>[2] = {}): Promise<Response> {
  const headers = { ...options.headers, ...(authorization ? { authorization } : {}) };
  return http(base, target, { ...options, headers, anonymous: authorization === undefined });
}

/** A manifest GET under `authorization`. */
export function getManifestAs(base: string, authorization: string | undefined, repo: string, reference: string, method = 'GET'): Promise<Response> {
  return httpAs(base, authorization, `/v2/${repo}/manifests/${reference}`, { method, headers: { accept: MANIFEST_ACCEPT } });
}

/** A manifest PUT under `authorization`. */
export function putManifestAs(base: string, authorization: string | undefined, repo: string, reference: string, manifest: BuiltManifest): Promise<Response> {
  return httpAs(base, authorization, `/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    body: manifest.bytes,
    headers: { 'content-type': manifest.mediaType },
  });
}

/** Pushes a blob with POST then PUT under `authorization`; each step must succeed. */
export async function pushBlobAs(base: string, authorization: string, repo: string, data: Uint8Array): Promise<string> {
  const digest = sha256(data);
  const start = await httpAs(base, authorization, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status, `POST upload in ${repo}: ${await start.clone().text()}`).toBe(202);
  const location = start.headers.get('location') as string;
  const put = await httpAs(base, authorization, withQuery(location, { digest }), {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(put.status, `PUT blob in ${repo}: ${await put.clone().text()}`).toBe(201);
  return digest;
}

export interface Image {
  manifest: BuiltManifest;
  config: Buffer;
  layer: Buffer;
}

/** A fresh image (random config and layer) that has not been pushed anywhere. */
export function newImage(): Image {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBlob(8).toString('hex') }));
  const layer = randomBlob(200);
  const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, config), layers: [descriptorOf(MT.ociLayer, layer)] });
  return { manifest, config, layer };
}

/** Pushes an image's blobs and its manifest under `reference` with `authorization`. */
export async function pushImageAs(base: string, authorization: string, repo: string, reference: string, image: Image = newImage()): Promise<Image> {
  await pushBlobAs(base, authorization, repo, image.config);
  await pushBlobAs(base, authorization, repo, image.layer);
  const res = await putManifestAs(base, authorization, repo, reference, image.manifest);
  expect(res.status, `PUT manifest ${repo}:${reference}: ${await res.clone().text()}`).toBe(201);
  return image;
}

/**
 * A request whose path goes out byte for byte (no `..` or `//` normalisation) with exactly
 * `headers`: no credentials unless they are among them.
 */
export function rawRequestAs(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(base, method, path, undefined, headers, true);
}

/** Asserts that nothing of `image` (manifest bytes, digest, config) is in a response. */
export function expectNothingOf(image: Image, body: Buffer | string, headers: Record<string, string | string[] | undefined> | Headers): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  expect(text).not.toContain(image.manifest.digest);
  expect(text).not.toContain(image.manifest.bytes.toString('utf8'));
  expect(text).not.toContain(sha256(image.config));
  expect(text).not.toContain(sha256(image.layer));
  const digestHeader = headers instanceof Headers ? headers.get('docker-content-digest') : headers['docker-content-digest'];
  expect(digestHeader ?? undefined).toBeUndefined();
}

// ---------------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------------

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actorKind: string;
  clientAddress?: string;
  action: string;
  repository?: string;
  reference?: string;
  outcome: 'success' | 'denied' | 'failure';
  detail?: Record<string, unknown>;
}

/** Audit entries matching `filter`, newest first, read as the administrator. */
export async function auditEntries(base: string, filter: Record<string, string>): Promise<AuditEntry[]> {
  const res = await http(base, `/api/v1/audit?${new URLSearchParams({ limit: '1000', ...filter }).toString()}`);
  const text = await res.text();
  expect(res.status, `GET /api/v1/audit: ${text}`).toBe(200);
  return (JSON.parse(text) as { entries: AuditEntry[] }).entries;
}

/** Every page of `GET /v2/_catalog` under `authorization`. */
export async function catalogAs(base: string, authorization: string | undefined): Promise<string[]> {
  const names: string[] = [];
  let target: string | undefined = '/v2/_catalog?n=1000';
  while (target) {
    const res = await httpAs(base, authorization, target);
    const text = await res.text();
    expect(res.status, `GET ${target}: ${text}`).toBe(200);
    names.push(...((JSON.parse(text) as { repositories: string[] }).repositories ?? []));
    const link = res.headers.get('link');
    target = link ? /<([^>]*)>/.exec(link)?.[1] : undefined;
  }
  return names;
}
