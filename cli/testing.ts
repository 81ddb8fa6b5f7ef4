/**
 * Helpers for the CLI's tests (not itself a test file): a test Hub logged in to from a temporary
 * directory, running a command function with buffers in place of the terminal, and small images
 * pushed to a test Hub.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startTestHub, TEST_ADMIN, type TestHub } from '../conformance/harness.ts';
import { imageConfig } from '../engine/image/config.ts';
import { imageManifest } from '../engine/image/manifest.ts';
import { HubClient } from '../hub/client/client.ts';
import { pushImage } from '../hub/client/push.ts';
import { MediaType } from '../hub/oci/mediatypes.ts';
import { LAYER_MEDIA_TYPE } from '../engine/build/layer.ts';
import type { CommandIO } from './io.ts';
import { loginCommand } from './login.ts';

/** What a command run returned and printed. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command function with buffers for its output and `stdin` (not a terminal) as its input. */
export async function run(command: (argv: string[], io: CommandIO) => Promise<number>, argv: string[], env: Record<string, string>, stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  const code = await command(argv, io);
  return { code, stdout, stderr };
}

/** A test Hub with the admin logged in to it from a temporary directory. */
export interface CliTestHub {
  hub: TestHub;
  /** `127.0.0.1:<port>`, as image references name the Hub. */
  host: string;
  /** The temporary directory, removed by `destroy()`. */
  dir: string;
  /** DOCKER_CONFIG, NOCKER_CACHE_DIR and NOCKER_DATA_HOME inside `dir`, and whatever else was asked for. */
  env: Record<string, string>;
  /** A new client with the admin's credentials. */
  admin(): HubClient;
  /** Destroys the Hub and removes `dir`. */
  destroy(): Promise<void>;
}

/**
 * Starts a Hub, makes a `nocker-${name}-` temporary directory and logs the admin in from it.
 * Config, cache and local store all live in that directory, so that no test touches the user's.
 * `extraEnv` adds variables, e.g. NOCKER_HUB, given the Hub's url and host.
 */
export async function startCliTestHub(name: string, extraEnv: (hub: { url: string; host: string }) => Record<string, string> = () => ({})): Promise<CliTestHub> {
  const hub = await startTestHub();
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), `nocker-${name}-`));
    const host = new URL(hub.url).host;
    const env = { DOCKER_CONFIG: join(dir, 'docker'), NOCKER_CACHE_DIR: join(dir, 'cache'), NOCKER_DATA_HOME: join(dir, 'data'), ...extraEnv({ url: hub.url, host }) };
    const login = await run(loginCommand, [hub.url, '-u', TEST_ADMIN.username, '--password-stdin'], env, TEST_ADMIN.password);
    // Fail here rather than in every test that needs the saved credentials.
    if (login.code !== 0) throw new Error(`logging in to the test Hub failed: ${login.stderr}`);
    const created = dir;
    return {
      hub,
      host,
      dir,
      env,
      admin: () => new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } }),
      async destroy() {
        await hub.destroy();
        await rm(created, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // afterAll gets nothing to clean up when setup fails, so clean up here.
    await hub.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The `sha256:<hex>` digest of bytes or text. */
export const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A one-layer image a test pushed: its manifest, and its config and layer blobs. */
export interface SampleImage {
  digest: string;
  size: number;
  config: string;
  layer: { digest: string; size: number };
  /** Config and layer digests. */
  blobs: string[];
}

/** Pushes a one-layer image whose content names the repository, tag and architecture. */
export async function pushSampleImage(client: HubClient, repository: string, tag: string, architecture = 'amd64'): Promise<SampleImage> {
  const bytes = Buffer.from(`content of ${repository}:${tag} for ${architecture}`);
  const layer = { mediaType: LAYER_MEDIA_TYPE, digest: sha256(bytes), size: bytes.length, bytes };
  const config = imageConfig({ os: 'linux', architecture, diffIds: [layer.digest], created: 0, config: { Cmd: ['/bin/sh'] } });
  const manifest = imageManifest({ config, layers: [layer], created: 0 });
  await pushImage(client, repository, tag, { config, layers: [layer], manifest });
  return { digest: manifest.digest, size: manifest.size, config: config.digest, layer: { digest: layer.digest, size: layer.size }, blobs: [config.digest, layer.digest] };
}

/** Pushes an OCI index of linux images (one per architecture) under `tag`; resolves to the index's bytes. */
export async function pushPlatformIndex(client: HubClient, repository: string, tag: string, images: { digest: string; size: number; architecture: string }[]): Promise<string> {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.map((image) => ({ mediaType: MediaType.OciManifest, digest: image.digest, size: image.size, platform: { os: 'linux', architecture: image.architecture } })),
  });
  const res = await client.v2('PUT', `/v2/${repository}/manifests/${tag}`, { headers: { 'Content-Type': MediaType.OciIndex }, body: index });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`pushing the index ${repository}:${tag} answered ${res.status}`);
  return index;
}
