/**
 * The root filesystems of images, unpacked once per image config and shared (read-only) by every
 * container of the image: `<dataHome>/rootfs/<config digest hex>/rootfs`, with `complete.json`
 * beside it. An entry is built in a scratch directory beside the entries and renamed into place
 * whole, so an entry that exists is complete; a build that was killed leaves only a scratch
 * directory, which the next build removes.
 */
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createDigester, parseDigest } from '../../hub/oci/digest.ts';
import type { BaseConfig } from '../build/base.ts';
import { decompressor } from '../../hub/oci/compression.ts';
import { tarballCompression } from '../build/rootfs.ts';
import { leftByEndedProcess, scratchName } from '../build/scratch.ts';
import { applyTar, type UnpackReport } from '../build/unpack.ts';
import type { OciLayout } from '../image/layout.ts';
import type { Descriptor, ManifestInput } from '../image/manifest.ts';

/**
 * The layer media types that can be unpacked: tar, gzipped or zstd-compressed, as OCI and Docker
 * name them. (The compression itself is told by the blob's first bytes.)
 *
 * @example
 * UNPACKABLE_LAYER_TYPES.has('application/vnd.oci.image.layer.v1.tar+zstd'); // true
 */
export const UNPACKABLE_LAYER_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd',
]);

/** What a cache entry holds besides the tree: the marker that it was finished. */
const COMPLETE = 'complete.json';
/** The tree itself, inside the entry. */
const TREE = 'rootfs';

/** The image a root filesystem is made of. */
export interface CachedRootfsOptions {
  /** Nocker's data directory: entries live under `<dataHome>/rootfs/`. */
  dataHome: string;
  /** The local image store holding the layer blobs. */
  layout: OciLayout;
  /** The image manifest (as its JSON reads): the config's descriptor and the layers, base first. */
  manifest: Pick<ManifestInput, 'config' | 'layers'>;
  /** The image config: `rootfs.diff_ids` lists each layer's uncompressed digest. */
  config: Pick<BaseConfig, 'rootfs'>;
  /** Called as layer `index` (from 0) of `total` starts being applied; not at all on a cache hit. */
  onLayer?: (index: number, total: number) => void;
}

/** True when `entry` is a finished cache entry. */
async function isComplete(entry: string): Promise<boolean> {
  return stat(join(entry, COMPLETE)).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Removes the scratch directories of builds whose process has ended (killed, or crashed). */
async function sweepLeftovers(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    if (leftByEndedProcess(name)) await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

/** Checks what can be checked before anything is unpacked: counts, media types, blobs present. */
async function checkImage(options: CachedRootfsOptions): Promise<void> {
  const { layers, config } = options.manifest;
  const diffIds = options.config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) throw new Error(`the image config ${config.digest} has no rootfs.diff_ids`);
  if (diffIds.length !== layers.length) {
    throw new Error(`the image manifest lists ${layers.length} layers but its config ${config.digest} lists ${diffIds.length} diff_ids: the image is damaged`);
  }
  for (const [i, layer] of layers.entries()) {
    const label = layerLabel(i, layers.length, layer);
    if (!UNPACKABLE_LAYER_TYPES.has(layer.mediaType)) {
      throw new Error(`${label} has the media type "${layer.mediaType}", which cannot be unpacked: expected a tar layer, plain, gzip or zstd (${[...UNPACKABLE_LAYER_TYPES].join(', ')})`);
    }
    for (const [what, digest] of [['digest', layer.digest], [`config's rootfs.diff_ids[${i}]`, diffIds[i] ?? '']] as const) {
      try {
        parseDigest(digest);
      } catch (err) {
        throw new Error(`${label}: its ${what} is not usable: ${(err as Error).message}`);
      }
    }
    if (!(await options.layout.hasBlob(layer.digest))) throw new Error(`${label} is not in the local image store (${options.layout.dir}); pull the image again`);
  }
}

function layerLabel(index: number, total: number, layer: Descriptor): string {
  return `layer ${index + 1} of ${total} (${layer.digest})`;
}

/** A pipeline stage that passes bytes on unchanged, hashing them on the way. */
function hashing(hash: Hash): (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array> {
  return async function* (source) {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  };
}

/**
 * Applies one layer blob onto `root` in a single read of the file, checking on the way both the
 * blob's digest (the manifest's) and the uncompressed tar's (the config's diffID).
 */
async function applyVerifiedLayer(root: string, layout: OciLayout, layer: Descriptor, diffId: string, label: string): Promise<UnpackReport> {
  const path = layout.blobPath(layer.digest);
  const blob = createDigester(parseDigest(layer.digest).algorithm);
  const tar = createDigester(parseDigest(diffId).algorithm);
  let report: UnpackReport = { notes: [] };
  try {
    await pipeline(createReadStream(path), hashing(blob.hash), decompressor(await tarballCompression(path)), hashing(tar.hash), async (bytes: AsyncIterable<Uint8Array>) => {
      report = await applyTar(root, bytes);
    });
  } catch (err) {
    throw new Error(`${label} could not be unpacked: ${(err as Error).message}`, { cause: err });
  }
  const blobDigest = blob.digest();
  if (blobDigest !== layer.digest) {
    throw new Error(`${label}: the blob in the local image store has the digest ${blobDigest}, not ${layer.digest} as the manifest says; pull the image again`);
  }
  const tarDigest = tar.digest();
  if (tarDigest !== diffId) {
    throw new Error(`${label}: its uncompressed content has the digest ${tarDigest}, but the image config's diff_id for it is ${diffId}`);
  }
  return report;
}

/**
 * Moves the finished `scratch` to `entry`. When another caller got there first its entry is
 * kept (and `scratch` left for the caller to remove); an unfinished entry in the way (one half
 * removed) is moved aside and removed.
 */
async function publish(cacheDir: string, scratch: string, entry: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await rename(scratch, entry);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EEXIST' && code !== 'ENOTEMPTY') || attempt >= 2) throw err;
    }
    if (await isComplete(entry)) return;
    const aside = join(cacheDir, scratchName('removing'));
    await rename(entry, aside).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rm(aside, { recursive: true, force: true });
  }
}

/**
 * The image's flattened root filesystem, unpacked into the cache unless it is there already:
 * `<dataHome>/rootfs/<config digest hex>/rootfs`. The layers are applied in order (whiteouts,
 * opaque directories, owners and modes kept; nothing written outside the root; device nodes
 * skipped), each checked against its blob digest and its diffID while it is read. A failure
 * leaves no entry; callers racing on one image all get the one entry that was renamed first.
 * The tree is shared by every container of the image: never write into it.
 *
 * @example
 * const rootfs = await cachedRootfs({ dataHome, layout, manifest, config, onLayer: (i, n) => say(`layer ${i + 1}/${n}`) });
 * // '/var/lib/nocker/rootfs/5f70bf18…/rootfs'
 */
export async function cachedRootfs(options: CachedRootfsOptions): Promise<string> {
  const { dataHome, layout, manifest } = options;
  const cacheDir = join(dataHome, 'rootfs');
  const entry = join(cacheDir, parseDigest(manifest.config.digest).encoded);
  if (await isComplete(entry)) return join(entry, TREE);

  await checkImage(options);
  await mkdir(dataHome, { recursive: true });
  // Only the owner may pass: the trees hold the images' setuid files.
  await mkdir(cacheDir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await sweepLeftovers(cacheDir);
  const scratch = join(cacheDir, scratchName('unpacking'));
  const root = join(scratch, TREE);
  try {
    await mkdir(root, { recursive: true, mode: 0o755 });
    const notes: string[] = [];
    const total = manifest.layers.length;
    for (const [i, layer] of manifest.layers.entries()) {
      options.onLayer?.(i, total);
      const diffId = options.config.rootfs.diff_ids[i] as string;
      const report = await applyVerifiedLayer(root, layout, layer, diffId, layerLabel(i, total, layer));
      notes.push(...report.notes.map((note) => `layer ${i + 1}: ${note}`));
    }
    const record = { config: manifest.config.digest, layers: manifest.layers.map((l) => l.digest), notes };
    await writeFile(join(scratch, COMPLETE), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    await publish(cacheDir, scratch, entry);
  } finally {
    // Gone already when this build's entry was renamed into place.
    await rm(scratch, { recursive: true, force: true });
  }
  return join(entry, TREE);
}
