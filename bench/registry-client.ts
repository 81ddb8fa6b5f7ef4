/**
 * A minimal OCI distribution client for benchmarking: node:http over one keep-alive agent (no
 * web-stream copies on the hot path), streamed request bodies with backpressure, and response
 * bodies that are discarded, buffered or hashed as they arrive. With credentials it logs in as
 * docker does: a 401 Bearer challenge is answered with a token per repository, kept and reused.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { GeneratedBlob } from './blobgen.ts';

/** A request body produced piece by piece; `length` is sent as Content-Length. */
export interface BodySource {
  length: number;
  pieces(): Iterable<Buffer>;
}

export type ReadMode = 'discard' | 'buffer' | 'sha256';

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | BodySource;
  read?: ReadMode;
  signal?: AbortSignal;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body when read as 'buffer', else empty. */
  body: Buffer;
  bytes: number;
  /** `sha256:<hex>` of the body when read as 'sha256'. */
  sha256?: string;
}

/** How a blob is pushed in one go: the single POST of spec v1.1, or POST then PUT. */
export type PushMode = 'post-digest' | 'post-put';

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT_MANIFESTS = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;
const MAX_TAG_PAGES = 10_000;

export interface Credentials {
  username: string;
  password: string;
}

export class RegistryClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** Bearer tokens by repository ('' for requests outside one), as the token endpoint granted them. */
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    maxSockets = 64,
    private readonly credentials?: Credentials,
  ) {
    // Enough sockets for the widest workload, kept open so latency is not connection set-up.
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** `location` (absolute or relative to the registry) as an absolute URL. */
  resolve(location: string): URL {
    return new URL(location, this.baseUrl);
  }

  /** Sends a request; a Bearer challenge from the registry gets a token and one retry. */
  async request(method: string, target: string | URL, options: RequestOptions = {}): Promise<Reply> {
    const url = typeof target === 'string' ? this.resolve(target) : target;
    const sameRegistry = url.origin === new URL(this.baseUrl).origin;
    const repository = sameRegistry ? repositoryOf(url.pathname) : undefined;
    const token = repository === undefined ? undefined : this.tokens.get(repository);
    const reply = await this.send(method, url, withBearer(options, token));
    const challenge = headerValue(reply, 'www-authenticate');
    if (reply.status !== 401 || repository === undefined || !challenge?.startsWith('Bearer ')) return reply;
    const fresh = await this.fetchToken(challenge, repository, options.signal);
    this.tokens.set(repository, fresh);
    return this.send(method, url, withBearer(options, fresh));
  }

  /** A token for the challenge's realm and service, covering pull and push on the repository. */
  private async fetchToken(challenge: string, repository: string, signal?: AbortSignal): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) throw new RegistryError(401, `the challenge "${challenge}" names no token realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', repository ? `repository:${repository}:pull,push,delete` : (params.scope ?? ''));
    const headers: Record<string, string> = {};
    if (this.credentials) headers.Authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    const reply = await this.send('GET', url, { headers, read: 'buffer', signal });
    if (reply.status !== 200) throw new RegistryError(reply.status, `the token endpoint answered ${reply.status}: ${reply.body.toString('utf8', 0, 300)}`);
    const { token } = JSON.parse(reply.body.toString('utf8')) as { token?: string };
    if (!token) throw new RegistryError(401, 'the token endpoint answered without a token');
    return token;
  }

  private send(method: string, url: URL, options: RequestOptions): Promise<Reply> {
    const { body, read = 'discard', signal } = options;
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    else if (method === 'POST' || method === 'PUT' || method === 'PATCH') headers['Content-Length'] = '0';
    const secure = url.protocol === 'https:';
    const send = secure ? https.request : http.request;

    return new Promise<Reply>((resolve, reject) => {
      let responded = false;
      let bodySent = body === undefined;
      const req = send(url, { method, headers, agent: secure ? this.httpsAgent : this.httpAgent, signal });
      req.on('error', reject);
      req.on('response', (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        const hash = read === 'sha256' ? createHash('sha256') : undefined;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (read === 'buffer') chunks.push(chunk);
          else hash?.update(chunk);
        });
        res.on('error', reject);
        res.on('aborted', () => reject(new Error(`${method} ${url.pathname}: response aborted`)));
        res.on('end', () => {
          // A server that answered before taking the whole body leaves the socket unusable.
          if (!bodySent) req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: read === 'buffer' ? Buffer.concat(chunks, bytes) : Buffer.alloc(0),
            bytes,
            sha256: hash ? `sha256:${hash.digest('hex')}` : undefined,
          });
        });
      });
      if (body === undefined) {
        req.end();
      } else if (Buffer.isBuffer(body)) {
        bodySent = true;
        req.end(body);
      } else {
        const sent = () => {
          bodySent = true;
        };
        writeBody(req, body, () => responded || req.destroyed, sent).catch((err: unknown) => req.destroy(err as Error));
      }
    });
  }

  /** Sends a request and insists on one of `expected` statuses. */
  async expect(method: string, target: string | URL, expected: number[], options: RequestOptions = {}): Promise<Reply> {
    const reply = await this.request(method, target, { ...options, read: options.read ?? 'buffer' });
    if (!expected.includes(reply.status)) {
      const path = typeof target === 'string' ? target : target.pathname;
      const detail = reply.body.length ? `: ${reply.body.toString('utf8', 0, Math.min(reply.body.length, 300))}` : '';
      throw new RegistryError(reply.status, `${method} ${path} answered ${reply.status}, expected ${expected.join('/')}${detail}`);
    }
    return reply;
  }

  /** The version check, logged in when credentials are given. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.expect('GET', '/v2/', [200], { signal });
  }

  /**
   * Whether the registry completes a blob upload in a single `POST ?digest=` (OCI v1.1); when it
   * opens a session instead (202), that session is cancelled.
   */
  async supportsSinglePost(repo: string, seed: string, signal?: AbortSignal): Promise<boolean> {
    const body = Buffer.from(`single-post probe ${seed}\n`);
    const digest = sha256Digest(body);
    const reply = await this.expect('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, [201, 202], {
      body,
      signal,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (reply.status === 201) return true;
    const location = reply.headers.location;
    if (location) await this.request('DELETE', this.resolve(location), { signal }).catch(() => undefined);
    return false;
  }

  /** Pushes a whole blob in one request body (plus an empty POST in 'post-put' mode). */
  async pushBlob(repo: string, digest: string, body: Buffer | BodySource, mode: PushMode, signal?: AbortSignal): Promise<void> {
    const headers = { 'Content-Type': 'application/octet-stream' };
    if (mode === 'post-digest') {
      await this.expect('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, [201], { body, headers, signal });
      return;
    }
    const location = await this.startUpload(repo, signal);
    await this.expect('PUT', withDigest(location, digest), [201], { body, headers, signal });
  }

  /** Pushes a generated blob as one PATCH per block (`Content-Range`), then the closing PUT. */
  async pushChunked(repo: string, blob: GeneratedBlob, signal?: AbortSignal): Promise<number> {
    let location = await this.startUpload(repo, signal);
    let offset = 0;
    for (let i = 0; i < blob.blocks; i++) {
      const pieces = blob.block(i);
      const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
      const reply = await this.expect('PATCH', location, [202], {
        body: { length, pieces: () => pieces },
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + length - 1}` },
        signal,
      });
      // Each answer names where the next chunk goes (Distribution encodes its state in it).
      location = this.resolve(required(reply, 'location'));
      offset += length;
    }
    await this.expect('PUT', withDigest(location, blob.digest()), [201], { signal });
    return blob.blocks;
  }

  /** Reads a whole blob, hashing it on the way; follows redirects (S3 presigned URLs). */
  async pullBlob(repo: string, digest: string, signal?: AbortSignal): Promise<Reply> {
    return this.getFollowing(`/v2/${repo}/blobs/${digest}`, {}, 'sha256', signal, [200]);
  }

  /** Reads `length` bytes of a blob from `start` with a Range request (206 expected). */
  async getRange(repo: string, digest: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const reply = await this.getFollowing(`/v2/${repo}/blobs/${digest}`, { Range: `bytes=${start}-${start + length - 1}` }, 'buffer', signal, [206]);
    return reply.body;
  }

  /** Pushes a manifest under a tag or digest; returns its digest. */
  async putManifest(repo: string, reference: string, manifest: Buffer, mediaType: string, signal?: AbortSignal): Promise<string> {
    const reply = await this.expect('PUT', `/v2/${repo}/manifests/${reference}`, [201], {
      body: manifest,
      headers: { 'Content-Type': mediaType },
      signal,
    });
    return headerValue(reply, 'docker-content-digest') ?? sha256Digest(manifest);
  }

  async getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<Reply> {
    return this.expect('GET', `/v2/${repo}/manifests/${reference}`, [200], { headers: { Accept: ACCEPT_MANIFESTS }, signal });
  }

  async headManifest(repo: string, reference: string, signal?: AbortSignal): Promise<Reply> {
    return this.expect('HEAD', `/v2/${repo}/manifests/${reference}`, [200], { headers: { Accept: ACCEPT_MANIFESTS }, signal });
  }

  /** All tags, `n` per page, following `Link: <…>; rel="next"` until there is none. */
  async listTags(repo: string, n: number, signal?: AbortSignal): Promise<{ tags: string[]; pages: number }> {
    const tags: string[] = [];
    let next: URL | undefined = this.resolve(`/v2/${repo}/tags/list?n=${n}`);
    let pages = 0;
    while (next && pages < MAX_TAG_PAGES) {
      const reply = await this.expect('GET', next, [200], { signal });
      pages++;
      const page = JSON.parse(reply.body.toString('utf8')) as { tags?: string[] | null };
      tags.push(...(page.tags ?? []));
      const link = headerValue(reply, 'link');
      const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      next = match?.[1] ? new URL(match[1], next) : undefined;
    }
    return { tags, pages };
  }

  private async startUpload(repo: string, signal?: AbortSignal): Promise<URL> {
    const reply = await this.expect('POST', `/v2/${repo}/blobs/uploads/`, [202], { signal });
    return this.resolve(required(reply, 'location'));
  }

  private async getFollowing(path: string, headers: Record<string, string>, read: ReadMode, signal: AbortSignal | undefined, expected: number[]): Promise<Reply> {
    let target = this.resolve(path);
    for (let hop = 0; ; hop++) {
      const reply = await this.request('GET', target, { headers, read, signal });
      const location = headerValue(reply, 'location');
      if (REDIRECTS.has(reply.status) && location && hop < MAX_REDIRECTS) {
        target = new URL(location, target);
        continue;
      }
      if (!expected.includes(reply.status)) throw new RegistryError(reply.status, `GET ${path} answered ${reply.status}, expected ${expected.join('/')}`);
      return reply;
    }
  }
}

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The upload URL with `digest=` added to its query (Distribution keeps state in the query). */
function withDigest(location: URL, digest: string): URL {
  // Appended as text: re-serialising the query could re-encode an opaque state parameter.
  return new URL(`${location.href}${location.search ? '&' : '?'}digest=${encodeURIComponent(digest)}`);
}

function headerValue(reply: Reply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function required(reply: Reply, name: string): string {
  const value = headerValue(reply, name);
  if (!value) throw new RegistryError(reply.status, `response ${reply.status} has no ${name} header`);
  return value;
}

/**
 * Writes the pieces with backpressure; stops early when `stop()` says the server has answered
 * or the request is gone. Calls `sent` just before ending a complete body.
 */
async function writeBody(req: http.ClientRequest, source: BodySource, stop: () => boolean, sent: () => void): Promise<void> {
  for (const piece of source.pieces()) {
    if (stop()) return;
    if (!req.write(piece)) await drained(req);
  }
  if (stop()) return;
  sent();
  req.end();
}

function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/** The repository a `/v2/<name>/…` path addresses; '' for `/v2/` itself and the catalog. */
export function repositoryOf(pathname: string): string | undefined {
  if (!pathname.startsWith('/v2/')) return undefined;
  const match = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(pathname);
  return match?.[1] ?? '';
}

function withBearer(options: RequestOptions, token: string | undefined): RequestOptions {
  return token ? { ...options, headers: { ...options.headers, Authorization: `Bearer ${token}` } } : options;
}
