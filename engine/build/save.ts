/**
 * Keeping a built image in an OCI image layout (the local store `nocker pull` fills): the
 * build's layers copied from the step cache, the base layers downloaded from the base's Hub
 * unless the layout has them, then the config, the manifest and the image's name. The image is
 * then complete on this machine, so that it can be pushed later to any Hub.
 */
import { constants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import type { HubClient } from '../../hub/client/client.ts';
import { downloadBlob } from '../../hub/client/pull.ts';
import type { LayoutDescriptor, OciLayout } from '../image/layout.ts';
import type { BuiltImage } from './build.ts';
import type { ResolvedBase } from './base.ts';

/** How a blob came to be in the layout. */
export type SavedBlobOutcome = 'downloaded' | 'copied' | 'written' | 'present';

/** Told about each layer and the config once the layout holds them (the manifest is not reported). */
export type OnSavedBlob = (digest: string, outcome: SavedBlobOutcome) => void;

/** The client to download the base's layers with; only asked for when a layer is missing. */
function baseHub(base: ResolvedBase, client: HubClient | undefined): HubClient {
  if (!client) throw new Error(`a Hub is needed to download the layers of the base image ${base.name}`);
  if (client.host !== base.host) throw new Error(`the layers of the base image ${base.name} are on ${base.host}, not on ${client.host}`);
  return client;
}

/**
 * Downloads the base layers the layout lacks from the base repository, each checked against
 * its digest and size while it streams to disk.
 */
async function saveBaseLayers(layout: OciLayout, base: ResolvedBase, client: HubClient | undefined, onBlob: OnSavedBlob): Promise<void> {
  for (const layer of base.layers) {
    const added = await layout.addBlob(layer.digest, (temp) => downloadBlob(baseHub(base, client), base.repository, layer, temp));
    onBlob(layer.digest, added ? 'downloaded' : 'present');
  }
}

/**
 * Saves `image` in `layout` under `name` (`HOST/NAME:TAG` in the local store) and resolves to
 * the descriptor the name points at. Blobs the layout holds already are neither copied nor
 * downloaded again; `baseClient` (a client for the base's Hub) is needed only when the base has
 * layers the layout lacks.
 *
 * @example
 * const image = await buildImage(options);
 * await saveBuiltImage(await OciLayout.open(imageStore), '127.0.0.1:5000/team/app:v1', image, baseHub);
 */
export async function saveBuiltImage(layout: OciLayout, name: string, image: BuiltImage, baseClient?: HubClient, onBlob: OnSavedBlob = () => {}): Promise<LayoutDescriptor> {
  if (image.base) await saveBaseLayers(layout, image.base, baseClient, onBlob);
  for (const layer of image.layers) {
    // The step cache wrote this file under its digest; a copy-on-write clone where the file
    // system offers one, a plain copy elsewhere, neither of them through this process's memory.
    const added = await layout.addBlob(layer.digest, (temp) => copyFile(layer.path, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE));
    onBlob(layer.digest, added ? 'copied' : 'present');
  }
  onBlob(image.config.digest, (await layout.writeBlob(image.config.digest, image.config.bytes)) ? 'written' : 'present');
  await layout.writeBlob(image.manifest.digest, image.manifest.bytes);
  const descriptor = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size };
  await layout.tag(descriptor, name);
  return descriptor;
}
