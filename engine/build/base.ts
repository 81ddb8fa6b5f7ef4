/**
 * The base image of a build, resolved through the Hub: its reference to a manifest digest
 * (an index is narrowed to linux/amd64) and its config. Its layers are downloaded only when a
 * `run` step needs the files (a push mounts them from the base repository instead).
 */
import { createHash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HubClient } from '../../hub/client/client.ts';
import { errorFromResponse } from '../../hub/client/errors.ts';
import { downloadBlob } from '../../hub/client/pull.ts';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, MediaType } from '../../hub/oci/mediatypes.ts';
import type { RuntimeConfig } from '../image/config.ts';
import type { Descriptor } from '../image/manifest.ts';
import type { StepCache } from './plan.ts';
import { scratchName } from './scratch.ts';

/** The platform picked from a multi-platform base. */
export const DEFAULT_PLATFORM = { os: 'linux', architecture: 'amd64' } as const;

const ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

/** The parts of a base image config a build carries on. */
export interface BaseConfig {
  architecture: string;
  os: string;
  variant?: string;
  config?: RuntimeConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: Record<string, unknown>[];
}

/** A base image as resolved on the Hub. */
export interface ResolvedBase {
  /** `host/repository:tag` (or `@digest`), as the manifest annotation names it. */
  name: string;
  /** The Hub holding it, `host:port`. */
  host: string;
  repository: string;
  /** The digest of the platform's image manifest. */
  digest: string;
  layers: Descriptor[];
  config: BaseConfig;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface FetchedManifest {
  mediaType: string;
  digest: string;
  body: {
    mediaType?: string;
    config?: Descriptor;
    layers?: Descriptor[];
    manifests?: (Descriptor & { platform?: { os?: string; architecture?: string } })[];
  };
}

async function getManifest(client: HubClient, repository: string, reference: string, name: string): Promise<FetchedManifest> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const res = await client.v2('GET', path, { headers: { Accept: ACCEPT } });
  if (res.status === 404) {
    await res.body?.cancel();
    throw new Error(`base image ${name} not found on the Hub at ${client.host}: push or import it first, or fix build.base`);
  }
  if (!res.ok) throw await errorFromResponse(res, `GET ${path}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = sha256(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) throw new Error(`the Hub sent base manifest ${digest} for ${reference}`);
  const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as FetchedManifest['body'];
  const mediaType = body.mediaType ?? res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
  return { mediaType, digest, body };
}

/**
 * Resolves `repository` at `reference` (a tag or a digest) on `client`'s Hub: follows an index
 * to its linux/amd64 manifest and fetches the config. Throws a clear error for an unknown base.
 *
 * @example
 * const base = await resolveBase(client, 'base/alpine', '3.20');
 * base.digest;               // 'sha256:…'
 * base.config.rootfs.diff_ids; // the base layers' diffIDs
 */
export async function resolveBase(client: HubClient, repository: string, reference: string): Promise<ResolvedBase> {
  const separator = reference.startsWith('sha256:') ? '@' : ':';
  const name = `${client.host}/${repository}${separator}${reference}`;
  let manifest = await getManifest(client, repository, reference, name);
  if (INDEX_TYPES.has(manifest.mediaType) || (manifest.body.manifests && !manifest.body.config)) {
    const entry = (manifest.body.manifests ?? []).find((m) => m.platform?.os === DEFAULT_PLATFORM.os && m.platform.architecture === DEFAULT_PLATFORM.architecture);
    if (!entry) throw new Error(`base image ${name} has no ${DEFAULT_PLATFORM.os}/${DEFAULT_PLATFORM.architecture} image`);
    manifest = await getManifest(client, repository, entry.digest, name);
  }
  const { config, layers } = manifest.body;
  if (!config || !layers || !(IMAGE_MANIFEST_TYPES.has(manifest.mediaType) || manifest.mediaType === '')) {
    throw new Error(`base image ${name} is not an image (its manifest is ${manifest.mediaType || 'of no known type'})`);
  }
  const path = `/v2/${repository}/blobs/${config.digest}`;
  const res = await client.v2('GET', path);
  if (!res.ok) throw await errorFromResponse(res, `GET ${path}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (sha256(bytes) !== config.digest) throw new Error(`the config of base image ${name} does not match its digest ${config.digest}`);
  const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as BaseConfig;
  if (!parsed.rootfs || !Array.isArray(parsed.rootfs.diff_ids) || parsed.rootfs.diff_ids.length !== layers.length) {
    throw new Error(`the config of base image ${name} does not list one diffID per layer`);
  }
  return {
    name,
    host: client.host,
    repository,
    digest: manifest.digest,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    config: parsed,
  };
}

/**
 * The file holding a base layer, kept in the step cache under its digest: downloaded (and
 * checked against the digest) the first time, reused after. Plain, gzipped and zstd layers can
 * all be laid down for a `run` step.
 *
 * @example
 * const path = await baseLayerFile(client, 'base/alpine', base.layers[0], cache);
 */
export async function baseLayerFile(client: HubClient, repository: string, layer: Descriptor, cache: StepCache): Promise<string> {
  const kept = await cache.blob(layer);
  if (kept) return kept;
  // Downloaded into scratch, then renamed: a build killed half-way leaves no partial layer under the name.
  const partial = join(await cache.scratch(), scratchName('blob'));
  const path = await cache.blobPath(layer.digest);
  try {
    await downloadBlob(client, repository, layer, partial);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return path;
}
