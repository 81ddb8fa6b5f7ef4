/**
 * OCI 1.1 artifacts that refer to an image: a manifest with an `artifactType`, the OCI empty
 * config, one layer holding the content, and the image as its `subject`, so that the referrers
 * API lists it under the image. Build logs, signatures and attestations are all pushed this way.
 */
import type { HubClient } from '../../hub/client/client.ts';
import { pushImage, type PushBlob } from '../../hub/client/push.ts';
import { jsonBlob, type JsonBlob } from './blob.ts';
import { MANIFEST_MEDIA_TYPE, type Descriptor } from './manifest.ts';

/** The OCI empty config (`{}`), which artifacts without a config of their own point at. */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;

/** What an artifact is: its type, its one layer, what it refers to, and its annotations. */
export interface ArtifactInput {
  artifactType: string;
  /** The content: in memory (`bytes`) or in a file (`path`). */
  layer: PushBlob & { annotations?: Record<string, string> };
  subject: Descriptor;
  annotations?: Record<string, string>;
}

/**
 * The artifact's manifest as canonical JSON bytes.
 *
 * @example
 * artifactManifest({ artifactType: 'application/vnd.example', layer, subject }).digest;
 */
export function artifactManifest(input: ArtifactInput): JsonBlob {
  const { layer } = input;
  return jsonBlob(MANIFEST_MEDIA_TYPE, {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: input.artifactType,
    config: { ...EMPTY_CONFIG },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, ...(layer.annotations ? { annotations: layer.annotations } : {}) }],
    subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
    ...(input.annotations ? { annotations: input.annotations } : {}),
  });
}

/**
 * Pushes an artifact referring to `input.subject` (already in `repository`): the empty config,
 * the layer, then the manifest by its digest (artifacts have no tag). Resolves to that digest.
 *
 * @example
 * const digest = await pushArtifact(client, 'team/app', { artifactType, layer, subject });
 */
export async function pushArtifact(client: HubClient, repository: string, input: ArtifactInput, signal?: AbortSignal): Promise<string> {
  const manifest = artifactManifest(input);
  const config = { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size, bytes: Buffer.from('{}') };
  const { digest } = await pushImage(client, repository, manifest.digest, { config, layers: [input.layer], manifest }, { signal });
  return digest;
}
