/**
 * Build steps' cache keys and the step cache on disk. A step's key is the sha256 of the key
 * before it, the step's definition and, for a `copy`, the paths, modes and content digests of
 * what it copies; a step whose key is in the cache reuses the layer recorded there.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BuildStep } from '../nockerfile/index.ts';
import type { JsonValue } from '../image/canonical-json.ts';
import { canonicalJson } from '../image/canonical-json.ts';
import type { CopiedItem } from './context.ts';
import { LAYER_MEDIA_TYPE, type LayerBlob } from './layer.ts';
import { leftByEndedProcess } from './scratch.ts';

/**
 * The step cache's directory: `$NOCKER_CACHE_DIR`, else `~/.cache/nocker`.
 *
 * @example
 * cacheDirectory({ NOCKER_CACHE_DIR: '/tmp/c' }); // '/tmp/c'
 */
export function cacheDirectory(env: Record<string, string | undefined> = process.env): string {
  const dir = env.NOCKER_CACHE_DIR?.trim();
  return dir ? dir : join(homedir(), '.cache', 'nocker');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The key the first step chains from: the base image's digest (or scratch), its platform and
 * SOURCE_DATE_EPOCH (which goes into every layer's timestamps).
 *
 * @example
 * rootKey({ base: 'sha256:…', platform: 'linux/amd64', sourceDateEpoch: 0 }); // 64 hex digits
 */
export function rootKey(input: { base: string; platform: string; sourceDateEpoch: number }): string {
  return sha256(canonicalJson({ base: input.base, platform: input.platform, epoch: input.sourceDateEpoch }));
}

/**
 * The key of a step after `previous`; `items` are what a `copy` step copies, `settings` what
 * else changes its result (a `run` step's network).
 *
 * @example
 * const key = stepKey(rootKey(…), { kind: 'copy', src: '.', dest: '/app' }, set.items);
 */
export function stepKey(previous: string, step: BuildStep, items: readonly CopiedItem[] = [], settings: Record<string, string> = {}): string {
  return sha256(canonicalJson({ previous, step: step as unknown as JsonValue, items: items as unknown as JsonValue, ...(Object.keys(settings).length > 0 ? { settings } : {}) }));
}

/** A layer the cache holds for a step. */
export interface CachedStep {
  layer: LayerBlob;
}

/**
 * Layers of earlier builds by step key: `steps/<key>.json` records the layer file (kept in
 * `layers/`) with its digest, diffID and size.
 *
 * @example
 * const cache = new StepCache(cacheDirectory());
 * const hit = await cache.get(key) ?? await cache.put(key, await writeLayer(entries));
 */
export class StepCache {
  constructor(readonly directory: string) {}

  /** A scratch directory inside the cache for layers being written (same filesystem as the cache). */
  async scratch(): Promise<string> {
    const dir = join(this.directory, 'tmp');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Where base layers downloaded for `run` steps are kept, by digest (`blobs/sha256/<hex>`). */
  async blobs(): Promise<string> {
    const dir = join(this.directory, 'blobs', 'sha256');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Where the blob `digest` is kept: its file, whether or not it is there yet. */
  async blobPath(digest: string): Promise<string> {
    return join(await this.blobs(), digest.replace(/^sha256:/, ''));
  }

  /** The file of a kept blob when it is there with the descriptor's size. */
  async blob(descriptor: { digest: string; size: number }): Promise<string | undefined> {
    const path = await this.blobPath(descriptor.digest);
    return (await stat(path).catch(() => undefined))?.size === descriptor.size ? path : undefined;
  }

  /**
   * Removes what builds that no longer run left in the scratch directory (a build killed
   * half-way: its runtime bundle, log, layer being written). Their names carry their process id.
   */
  async sweep(): Promise<string[]> {
    const dir = await this.scratch();
    const removed: string[] = [];
    for (const name of await readdir(dir)) {
      if (!leftByEndedProcess(name)) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  /** The cached layer of `key`, when its record and layer file are both there and agree. */
  async get(key: string): Promise<CachedStep | undefined> {
    let record: { digest?: unknown; diffId?: unknown; size?: unknown; layer?: unknown };
    try {
      record = JSON.parse(await readFile(join(this.directory, 'steps', `${key}.json`), 'utf8')) as typeof record;
    } catch {
      return undefined;
    }
    const { digest, diffId, size, layer } = record;
    if (typeof digest !== 'string' || typeof diffId !== 'string' || typeof size !== 'number' || typeof layer !== 'string') return undefined;
    const path = join(this.directory, 'layers', layer);
    try {
      if ((await stat(path)).size !== size) return undefined;
    } catch {
      return undefined;
    }
    return { layer: { mediaType: LAYER_MEDIA_TYPE, path, digest, diffId, size } };
  }

  /** Moves `layer`'s file into the cache and records it under `key`; resolves to the cached layer. */
  async put(key: string, layer: LayerBlob): Promise<CachedStep> {
    const layers = join(this.directory, 'layers');
    const steps = join(this.directory, 'steps');
    await mkdir(layers, { recursive: true });
    await mkdir(steps, { recursive: true });
    const name = `${layer.digest.replace(/^sha256:/, '')}.tar.gz`;
    const path = join(layers, name);
    try {
      await rename(layer.path, path);
    } catch {
      // Another build may already hold the same layer; the content is the same by its digest.
      await rm(layer.path, { force: true });
    }
    const record = { layer: name, digest: layer.digest, diffId: layer.diffId, size: layer.size };
    const temp = join(steps, `${key}.json.${process.pid}`);
    await writeFile(temp, `${JSON.stringify(record)}\n`);
    await rename(temp, join(steps, `${key}.json`));
    return { layer: { ...layer, path } };
  }
}
