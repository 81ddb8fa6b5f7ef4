/**
 * Keeping a built image in an OCI image layout (the local store `nocker pull` fills): the
 * build's layers copied from the step cache, the base layers the layout lacks downloaded from the
 * base's Hub (or copied from the step cache when run steps fetched them), then the config, the
 * manifest and the image's name. The image is then complete on this machine, so that it can be
 * pushed later to any Hub.
 */
import { constants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import type { HubClient } from '../../hub/client/client.ts';
import { downloadBlob } from '../../hub/client/pull.ts';
import type { LayoutDescriptor, OciLayout } from '../image/layout.ts';
import type { BuiltImage } from './build.ts';
import type { ResolvedBase } from './base.ts';
import type { StepCache } from './plan.ts';

/** How a blob came to be in the layout. */
export type SavedBlobOutcome = 'downloaded' | 'copied' | 'written' | 'present';

/** Told about each layer and the config once the layout holds them (the manifest is not reported). */
export type OnSavedBlob = (digest: string, outcome: SavedBlobOutcome) => void;

export interface SaveOptions {
  /** A client for the base's Hub; needed only when the base has layers neither here nor in the cache. */
  baseHub?: HubClient;
  /** The build's step cache: base layers that run steps downloaded there are copied, not downloaded again. */
  cache?: StepCache;
  onBlob?: OnSavedBlob;
}

/** Copies a file into a layout's temporary path: a copy-on-write clone where the file system offers one. */
function copyInto(source: string): (temp: string) => Promise<void> {
  return (temp) => copyFile(source, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
}

/** The client to download the base's layers with; only asked for when a layer is missing. */
function baseHub(base: ResolvedBase, client: HubClient | undefined): HubClient {
  if (!client) throw new Error(`a Hub is needed to download the layers of the base image ${base.name}`);
  if (client.host !== base.host) throw new Error(`the layers of the base image ${base.name} are on ${base.host}, not on ${client.host}`);
  return client;
}

/**
 * Adds the base layers the layout lacks: copied from the step cache when run steps downloaded
 * them, else downloaded from the base repository, checked against digest and size as they stream.
 */
async function saveBaseLayers(layout: OciLayout, base: ResolvedBase, options: SaveOptions, onBlob: OnSavedBlob): Promise<void> {
  for (const layer of base.layers) {
    if (await layout.hasBlob(layer.digest)) {
      onBlob(layer.digest, 'present');
      continue;
    }
    const cached = await options.cache?.blob(layer);
    await layout.addBlob(layer.digest, cached ? copyInto(cached) : (temp) => downloadBlob(baseHub(base, options.baseHub), base.repository, layer, temp));
    onBlob(layer.digest, cached ? 'copied' : 'downloaded');
  }
}

/**
 * Saves `image` in `layout` under `name` (`HOST/NAME:TAG` in the local store) and resolves to
 * the descriptor the name points at. Blobs the layout holds already are neither copied nor
 * downloaded again.
 *
 * @example
 * const image = await buildImage({ nockerfile, baseHub, cache, sourceDateEpoch: 0 });
 * await saveBuiltImage(await OciLayout.open(imageStore), '127.0.0.1:5000/team/app:v1', image, { baseHub, cache });
 */
export async function saveBuiltImage(layout: OciLayout, name: string, image: BuiltImage, options: SaveOptions = {}): Promise<LayoutDescriptor> {
  const onBlob = options.onBlob ?? (() => {});
  if (image.base) await saveBaseLayers(layout, image.base, options, onBlob);
  for (const layer of image.layers) {
    // The step cache wrote this file under its digest, so it is copied (never through memory).
    const added = await layout.addBlob(layer.digest, copyInto(layer.path));
    onBlob(layer.digest, added ? 'copied' : 'present');
  }
  onBlob(image.config.digest, (await layout.writeBlob(image.config.digest, image.config.bytes)) ? 'written' : 'present');
  await layout.writeBlob(image.manifest.digest, image.manifest.bytes);
  const descriptor = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size };
  await layout.tag(descriptor, name);
  return descriptor;
}
