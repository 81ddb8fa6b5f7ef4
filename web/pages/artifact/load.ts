/**
 * Reading an artifact for its page: the manifest fetched once by tag or digest, the platform an
 * index is shown for, and the small, bounded reads the tabs share (blobs, the image config).
 * Everything goes through the viewer's HubClient; manifest and blob contents are untrusted.
 */
import type { Context } from 'hono';
import type { WebEnv } from '../../env.ts';
import type { HubClient } from '../../../hub/client/client.ts';
import { fetchBlobBytes, fetchManifest, type FetchedManifest } from '../../../hub/client/pull.ts';
import { parseDigest } from '../../../hub/oci/digest.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import type { Descriptor } from '../../../hub/oci/manifest.ts';
import { isTag, validateRepositoryName } from '../../../hub/oci/names.ts';
import { isAttestationEntry, platformOf } from '../../../hub/oci/platform.ts';
import type { ArtifactView } from './types.ts';

/** Config media types of runnable images; any other config makes a manifest an artifact. */
const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** The largest image config the page renders. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** One image of an index that the platform selector offers. */
export interface PlatformChoice {
  digest: string;
  /** `os/arch[/variant]`. */
  platform: string;
}

/** What the page holds beyond the view: the exact bytes served, and the index's images. */
export interface LoadedArtifact {
  view: ArtifactView;
  bytes: Uint8Array;
  platforms: PlatformChoice[];
}

/** The manifest bytes each view was built from, for the tabs that need them (size, download). */
const servedBytes = new WeakMap<ArtifactView, Uint8Array>();

/**
 * The exact manifest bytes the Hub served for `view`.
 *
 * @example
 * const size = manifestBytes(artifact).length;
 */
export function manifestBytes(view: ArtifactView): Uint8Array {
  return servedBytes.get(view) ?? new Uint8Array();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the URL's name and reference before they go into a registry path. */
function checkReference(name: string, reference: string): void {
  validateRepositoryName(name);
  if (reference.includes(':')) {
    try {
      parseDigest(reference);
    } catch {
      throw new OciError('DIGEST_INVALID', `"${reference}" is not a digest (sha256:…) nor a tag`);
    }
  } else if (!isTag(reference)) {
    throw new OciError('TAG_INVALID', `"${reference}" is not a valid tag`);
  }
}

/**
 * Fetches the artifact `name` at `reference` once and chooses the image an index is shown for:
 * `platform` when given (an unknown one is a 404 naming those there are), else the first image.
 * Attestation entries (`unknown/unknown`) are never offered.
 *
 * @example
 * const { view, platforms } = await loadArtifact(c.var.hub, 'team/app', 'v1', c.req.query('platform'));
 */
export async function loadArtifact(hub: HubClient, name: string, reference: string, platform?: string): Promise<LoadedArtifact> {
  checkReference(name, reference);
  const fetched = await fetchManifest(hub, name, reference);
  const manifest = JSON.parse(new TextDecoder().decode(fetched.bytes)) as Record<string, unknown>;
  const platforms: PlatformChoice[] = [];
  if (fetched.parsed.kind === 'index') {
    for (const child of fetched.parsed.manifests) {
      const label = platformOf(child.platform);
      if (label && !isAttestationEntry(child)) platforms.push({ digest: child.digest, platform: label });
    }
  }
  let selected: PlatformChoice | undefined = platforms[0];
  if (platform) {
    selected = platforms.find((p) => p.platform === platform);
    if (!selected) {
      const there = platforms.map((p) => p.platform).join(', ') || 'none';
      throw new OciError('MANIFEST_UNKNOWN', `${name} at ${reference} has no image for the platform ${platform} (platforms: ${there})`);
    }
  }
  const view: ArtifactView = {
    name,
    reference,
    digest: fetched.digest,
    mediaType: fetched.mediaType,
    manifest,
    ...(selected ? { selected } : {}),
    imageDigest: selected?.digest ?? fetched.digest,
  };
  servedBytes.set(view, fetched.bytes);
  return { view, bytes: fetched.bytes, platforms };
}

/** What kind of thing a manifest is, for the header and the tabs. */
export type ArtifactKind = 'image' | 'index' | 'artifact';

/**
 * `index` for an index, `image` for a runnable image, `artifact` for anything else (a non-image
 * config, an `artifactType`, or a `subject`).
 *
 * @example
 * kindOf(view.manifest); // 'image'
 */
export function kindOf(manifest: Record<string, unknown>): ArtifactKind {
  if (Array.isArray(manifest.manifests)) return 'index';
  const config = isRecord(manifest.config) ? manifest.config : undefined;
  if (manifest.artifactType !== undefined || manifest.subject !== undefined) return 'artifact';
  return typeof config?.mediaType === 'string' && IMAGE_CONFIG_TYPES.has(config.mediaType) ? 'image' : 'artifact';
}

/**
 * The descriptors of a manifest's `layers` that are well formed (untrusted JSON: others are left out).
 *
 * @example
 * layersOf(view.manifest).map((l) => l.digest);
 */
export function layersOf(manifest: Record<string, unknown>): Descriptor[] {
  const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
  return layers.filter(isDescriptor);
}

/**
 * The manifest's `config` descriptor, if well formed.
 *
 * @example
 * configOf(view.manifest)?.mediaType; // 'application/vnd.oci.image.config.v1+json'
 */
export function configOf(manifest: Record<string, unknown>): Descriptor | undefined {
  return isDescriptor(manifest.config) ? manifest.config : undefined;
}

function isDescriptor(value: unknown): value is Descriptor {
  return isRecord(value) && typeof value.mediaType === 'string' && typeof value.digest === 'string' && typeof value.size === 'number';
}

/**
 * String-to-string annotations of a manifest (or descriptor); other values are left out.
 *
 * @example
 * annotationsOf(view.manifest)['org.opencontainers.image.created'];
 */
export function annotationsOf(value: Record<string, unknown>): Record<string, string> {
  const annotations = isRecord(value.annotations) ? value.annotations : {};
  return Object.fromEntries(Object.entries(annotations).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * The manifest of the image the image tabs describe: the page's own, or the chosen index child's.
 *
 * @example
 * const image = await imageManifestOf(c, artifact);
 */
export async function imageManifestOf(c: Context<WebEnv>, artifact: ArtifactView): Promise<Record<string, unknown>> {
  if (artifact.imageDigest === artifact.digest) return artifact.manifest;
  const child: FetchedManifest = await fetchManifest(c.var.hub, artifact.name, artifact.imageDigest);
  return JSON.parse(new TextDecoder().decode(child.bytes)) as Record<string, unknown>;
}

/**
 * A blob's bytes when its descriptor says it holds at most `limit` bytes, else undefined. The
 * bytes are checked against the digest, so a descriptor cannot lie about them.
 *
 * @example
 * const bytes = await readBlob(c.var.hub, 'team/app', layer, 256 * 1024);
 */
export async function readBlob(hub: HubClient, name: string, descriptor: Descriptor, limit: number): Promise<Uint8Array | undefined> {
  if (descriptor.size > limit) return undefined;
  const bytes = await fetchBlobBytes(hub, name, descriptor);
  return bytes.length > limit ? undefined : bytes;
}

/** An image config as the page reads it; every field may be missing or of the wrong type. */
export interface ImageConfig {
  created?: unknown;
  os?: unknown;
  architecture?: unknown;
  variant?: unknown;
  config?: {
    User?: unknown;
    Env?: unknown;
    Entrypoint?: unknown;
    Cmd?: unknown;
    WorkingDir?: unknown;
    Labels?: unknown;
    ExposedPorts?: unknown;
  };
  rootfs?: { diff_ids?: unknown };
  history?: unknown;
}

/** The image config, or why it is not shown. */
export type ConfigRead = { config: ImageConfig } | { problem: string };

/**
 * Reads and parses an image's config, refusing configs over {@link MAX_CONFIG_BYTES}.
 *
 * @example
 * const read = await readImageConfig(c.var.hub, 'team/app', image);
 * if ('config' in read) console.log(read.config.os);
 */
export async function readImageConfig(hub: HubClient, name: string, manifest: Record<string, unknown>): Promise<ConfigRead> {
  const descriptor = configOf(manifest);
  if (!descriptor) return { problem: 'The manifest names no config.' };
  const bytes = await readBlob(hub, name, descriptor, MAX_CONFIG_BYTES);
  if (!bytes) return { problem: `The image config is ${descriptor.size} bytes, more than the ${MAX_CONFIG_BYTES} this page shows.` };
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (!isRecord(parsed)) return { problem: 'The image config is not a JSON object.' };
    const runtime = isRecord(parsed.config) ? parsed.config : undefined;
    const rootfs = isRecord(parsed.rootfs) ? parsed.rootfs : undefined;
    return { config: { ...parsed, config: runtime, rootfs } };
  } catch {
    return { problem: 'The image config is not valid JSON.' };
  }
}

/**
 * Strings of a list that should hold only strings (untrusted JSON).
 *
 * @example
 * stringList(config.config?.Env); // ['PATH=/usr/bin']
 */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * A string-to-string map from untrusted JSON (other values are left out).
 *
 * @example
 * stringMap(config.config?.Labels);
 */
export function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * The JSON a value is written as on the page, indented, or undefined when the text is not JSON.
 *
 * @example
 * prettyJson('{"a":1}'); // '{\n  "a": 1\n}'
 */
export function prettyJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

/**
 * A file name made only of safe characters, for `Content-Disposition`.
 *
 * @example
 * downloadName('team/app', 'sha256:0123…', 'cdx.json'); // 'team_app-0123456789ab.cdx.json'
 */
export function downloadName(name: string, digest: string, suffix: string): string {
  const hex = digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${hex.replace(/[^A-Za-z0-9]/g, '')}.${suffix}`;
}
