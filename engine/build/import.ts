/**
 * `import`: a root filesystem tarball becomes a one-layer image — the layer re-emitted
 * deterministically, its config and manifest — ready to push.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageConfig } from '../image/config.ts';
import type { JsonBlob } from '../image/blob.ts';
import { imageManifest } from '../image/manifest.ts';
import { writeLayer, type LayerBlob } from './layer.ts';
import { readRootfs } from './rootfs.ts';

/** `os/architecture[/variant]`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/**
 * Parses `linux/arm64/v8`-style platforms.
 *
 * @example
 * parsePlatform('linux/arm64/v8'); // { os: 'linux', architecture: 'arm64', variant: 'v8' }
 */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || (parts.length === 3 && !variant) || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new Error(`"${text}" is not a platform: expected OS/ARCH[/VARIANT], such as linux/amd64`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export interface ImportOptions {
  platform: Platform;
  /** SOURCE_DATE_EPOCH: the image's created time and the latest mtime in the layer. */
  sourceDateEpoch: number;
  /** The history comment (`docker import --message`). */
  message?: string;
}

/** An imported image on disk; `dispose()` removes its temporary files. */
export interface ImportedImage {
  layer: LayerBlob;
  config: JsonBlob;
  manifest: JsonBlob;
  notes: string[];
  dispose(): Promise<void>;
}

/**
 * Turns the tarball at `path` into a one-layer image. The same tarball content (whatever its
 * order, timestamps or compression) gives the same digests.
 *
 * @example
 * const image = await importRootfs('rootfs.tar.gz', { platform: { os: 'linux', architecture: 'amd64' }, sourceDateEpoch: 0 });
 * try { await pushImage(client, 'team/base', 'v1', { config: image.config, layers: [image.layer], manifest: image.manifest }); }
 * finally { await image.dispose(); }
 */
export async function importRootfs(path: string, options: ImportOptions): Promise<ImportedImage> {
  const work = await mkdtemp(join(tmpdir(), 'nocker-import-'));
  const dispose = () => rm(work, { recursive: true, force: true });
  try {
    const spool = join(work, 'spool');
    await mkdir(spool);
    const { entries, notes } = await readRootfs(path, spool);
    const layer = await writeLayer(entries, { directory: work, sourceDateEpoch: options.sourceDateEpoch });
    await rm(spool, { recursive: true, force: true });
    const { os, architecture, variant } = options.platform;
    const config = imageConfig({
      os,
      architecture,
      variant,
      diffIds: [layer.diffId],
      created: options.sourceDateEpoch,
      history: [{ created_by: 'nocker import', comment: options.message }],
    });
    const manifest = imageManifest({ config, layers: [layer], created: options.sourceDateEpoch });
    return { layer, config, manifest, notes, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
