/** The OCI image manifest: the config and layers as descriptors, with annotations. */
import { jsonBlob, type JsonBlob } from './blob.ts';
import { rfc3339 } from './time.ts';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** What a manifest says about a blob. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ManifestInput {
  config: Descriptor;
  layers: Descriptor[];
  /** Seconds since the epoch: `org.opencontainers.image.created`. */
  created: number;
  /** The base image, when built on one: `org.opencontainers.image.base.name` and `.base.digest`. */
  base?: { name: string; digest: string };
  /** Further annotations; these win over the ones above. */
  annotations?: Record<string, string>;
}

const descriptor = (d: Descriptor) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });

/**
 * Builds the image manifest as canonical JSON bytes.
 *
 * @example
 * const manifest = imageManifest({ config, layers: [layer], created: 0 });
 * await pushImage(client, 'team/app', 'v1', { manifest, config, layers: [layer] });
 */
export function imageManifest(input: ManifestInput): JsonBlob {
  const annotations: Record<string, string> = { 'org.opencontainers.image.created': rfc3339(input.created) };
  if (input.base) {
    annotations['org.opencontainers.image.base.name'] = input.base.name;
    annotations['org.opencontainers.image.base.digest'] = input.base.digest;
  }
  Object.assign(annotations, input.annotations);
  return jsonBlob(MANIFEST_MEDIA_TYPE, {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: descriptor(input.config),
    layers: input.layers.map(descriptor),
    annotations,
  });
}
