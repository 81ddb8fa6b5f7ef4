/**
 * Scans one manifest of the registry: an image manifest's layers are streamed (never whole
 * blobs, never to disk) through the analysers, and each package found gets its package URL,
 * OSV ecosystem and the layer that last wrote its file; an index names its children for them
 * to be scanned one by one.
 */
import { analyseFiles, isScannedPath, readOsRelease } from './analysers/index.ts';
import { osvEcosystem } from './ecosystem.ts';
import { fileLayer, readImageFiles, type LayerSource } from './layer-files.ts';
import { packageUrl } from './purl.ts';
import type { ScannedImage, ScannedPackage } from './types.ts';
import { parseManifest, type Descriptor, type ParsedManifest } from '../oci/manifest.ts';
import { platformOf } from '../oci/platform.ts';
import { readAtMost } from '../oci/read-at-most.ts';
import type { Registry } from '../registry/registry.ts';

/** Image config media types: a manifest whose config is anything else is an artifact. */
export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** An image config is small; anything larger is refused rather than read into memory. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * A manifest that can never be scanned as it is (an unreadable config, layers that do not match
 * it): the scan fails for good instead of being retried.
 *
 * @example
 * throw new UnscannableImageError('the image config has no rootfs.diff_ids list');
 */
export class UnscannableImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnscannableImageError';
  }
}

/** One image of an index, with its platform (`linux/arm64/v8`). */
export interface IndexChild {
  digest: string;
  platform?: string;
}

/** What a scan found: an image's packages, an index's children, or an artifact not to scan. */
export type ScanOutcome = { kind: 'image'; image: ScannedImage } | { kind: 'index'; digest: string; mediaType: string; children: IndexChild[] } | { kind: 'artifact' };

/**
 * Whether a manifest is an artifact (a signature, an SBOM, a build log) rather than an image:
 * it has a subject, or its config is not an image config.
 *
 * @example
 * isArtifact(parseManifest(bytes, undefined)); // true for a cosign signature
 */
export function isArtifact(manifest: ParsedManifest, config?: Descriptor): boolean {
  if (manifest.subject) return true;
  if (manifest.kind === 'index') return false;
  return config !== undefined && !IMAGE_CONFIG_TYPES.has(config.mediaType);
}

interface ImageConfigDocument {
  os?: unknown;
  architecture?: unknown;
  variant?: unknown;
  created?: unknown;
  rootfs?: { diff_ids?: unknown };
}


async function readConfig(registry: Registry, config: Descriptor): Promise<ImageConfigDocument> {
  const what = `the image config ${config.digest}`;
  if (config.size > MAX_CONFIG_BYTES) throw new UnscannableImageError(`${what} is larger than ${MAX_CONFIG_BYTES} bytes`);
  const bytes = await readAtMost(await registry.blobs.read(config.digest), MAX_CONFIG_BYTES);
  if (!bytes) throw new UnscannableImageError(`${what} is larger than ${MAX_CONFIG_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    // JSON.parse's message quotes the bytes it stopped at, which may be binary: say where, not what.
    throw new UnscannableImageError(`${what} is not JSON${jsonErrorPosition(err)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UnscannableImageError(`${what} is not a JSON object`);
  return doc as ImageConfigDocument;
}

/**
 * What went wrong reading the blobs themselves (storage, or the scan being stopped): the layer
 * reader reports any read error as an unreadable layer, but these are not the layer's fault.
 */
interface SourceFailure {
  error?: unknown;
}

/** The blob's bytes, stopping when `signal` aborts and noting read errors in `failure`. */
async function* watched(stream: AsyncIterable<Uint8Array>, failure: SourceFailure, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) {
      signal?.throwIfAborted();
      yield chunk;
    }
  } catch (err) {
    failure.error ??= err;
    throw err;
  }
}

/** The layers to read, each with its diffID; foreign layers (stored elsewhere) are left out. */
function layerSources(registry: Registry, layers: Descriptor[], diffIds: unknown, failure: SourceFailure = {}, signal?: AbortSignal): LayerSource[] {
  if (!Array.isArray(diffIds) || !diffIds.every((d): d is string => typeof d === 'string')) {
    throw new UnscannableImageError('the image config has no rootfs.diff_ids list');
  }
  if (diffIds.length !== layers.length) {
    throw new UnscannableImageError(`the manifest lists ${layers.length} layers but the image config ${diffIds.length} diff_ids`);
  }
  return layers.flatMap((layer, i) =>
    layer.urls?.length
      ? []
      : [
          {
            digest: layer.digest,
            diffId: diffIds[i]!,
            open: async () => {
              signal?.throwIfAborted();
              try {
                return watched((await registry.blobs.read(layer.digest)) as AsyncIterable<Uint8Array>, failure, signal);
              } catch (err) {
                failure.error ??= err;
                throw err;
              }
            },
          },
        ],
  );
}

/**
 * Reads the manifest `digest` of `repository` and scans it. Throws a HostileLayerError for a
 * hostile layer and an {@link UnscannableImageError} for a manifest or config that cannot be
 * scanned; registry and storage errors pass through (they may be passing), as does `signal`'s
 * reason when it aborts the scan.
 *
 * @example
 * const outcome = await scanImage(registry, 'team/app', 'sha256:…');
 * if (outcome.kind === 'image') console.log(outcome.image.packages.length);
 */
export async function scanImage(registry: Registry, repository: string, digest: string, signal?: AbortSignal): Promise<ScanOutcome> {
  const stored = await registry.manifests.get(repository, digest);
  let manifest: ParsedManifest;
  try {
    manifest = parseManifest(stored.content, stored.mediaType);
  } catch (err) {
    throw new UnscannableImageError(`the manifest is not valid: ${(err as Error).message}`);
  }
  if (manifest.kind === 'index') {
    if (manifest.subject) return { kind: 'artifact' };
    const children = manifest.manifests.map((child) => ({ digest: child.digest, ...withPlatform(platformOf(child.platform)) }));
    return { kind: 'index', digest, mediaType: manifest.mediaType, children };
  }
  // parseManifest lists the config first; the layers, foreign ones too, come from the document itself.
  const config = manifest.blobs[0];
  if (!config || isArtifact(manifest, config)) return { kind: 'artifact' };
  const document = await readConfig(registry, config);
  const failure: SourceFailure = {};
  const sources = layerSources(registry, layersOf(stored.content), document.rootfs?.diff_ids, failure, signal);
  const files = await readImageFiles(sources, isScannedPath).catch((err: unknown) => {
    // A storage error or a stop is passed on as itself: the layer may be fine.
    throw failure.error ?? err;
  });
  const contents = new Map([...files.files].map(([path, file]) => [path, file.data]));
  const os = readOsRelease(contents);
  const layerDigests = sources.map((layer) => layer.digest);
  const packages = analyseFiles(contents, os).map((pkg): ScannedPackage => {
    const layer = layerDigests[fileLayer(files.files, pkg.path) ?? -1];
    const ecosystem = osvEcosystem(pkg, os);
    return { ...pkg, purl: packageUrl(pkg, os), ...(ecosystem ? { ecosystem } : {}), ...(layer ? { layer } : {}) };
  });
  const image: ScannedImage = { repository, digest, mediaType: manifest.mediaType, packages };
  const platform = platformOf(document as Record<string, unknown>);
  if (platform) image.platform = platform;
  if (typeof document.created === 'string') image.created = document.created;
  if (os) image.os = os;
  return { kind: 'image', image };
}

function withPlatform(platform: string | undefined): { platform?: string } {
  return platform ? { platform } : {};
}

/** The layer descriptors of an image manifest, foreign ones included, in order. */
function layersOf(content: Uint8Array): Descriptor[] {
  const doc = JSON.parse(Buffer.from(content).toString('utf8')) as { layers?: Descriptor[] };
  return doc.layers ?? [];
}

/** `: at position N` from a JSON.parse error, when it names one. */
function jsonErrorPosition(err: unknown): string {
  const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  return position === undefined ? '' : ` (invalid at byte ${position})`;
}
