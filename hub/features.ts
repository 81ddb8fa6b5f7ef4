/**
 * The Hub's background features, which react to registry events rather than to requests: the
 * image scanner (with the SBOMs it attaches and the SBOMs it reads) and the recorder of layer
 * stacks behind the dependency graph. Only a serving Hub runs them; `nocker hub gc` and other
 * users of the backends do not.
 */
import type { Database } from './db/open.ts';
import { startLayerRecorder, type LayerRecorder } from './deps/record.ts';
import type { Registry } from './registry/registry.ts';
import { attachSboms } from './scanning/sbom/attach.ts';
import { SBOM_FORMATS, SBOM_GENERATOR, SBOM_GENERATOR_ANNOTATION } from './scanning/sbom/media-types.ts';
import { packagesFromAttachedSboms } from './scanning/sbom/read.ts';
import { createScanService, type ScanService } from './scanning/service.ts';

export interface HubFeatures {
  scans: ScanService;
  layers: LayerRecorder;
  /** Starts the scan worker (the layer recorder listens from the start). */
  start(): void;
  /** Stops both; the running scan hands its job back. */
  close(): Promise<void>;
}

/**
 * @example
 * const features = createHubFeatures(backends.database.db, backends.registry);
 * features.start();
 * // … on shutdown, before the database closes:
 * await features.close();
 */
export function createHubFeatures(db: Database, registry: Registry, options: { quiet?: boolean } = {}): HubFeatures {
  const scans = createScanService({
    db,
    registry,
    quiet: options.quiet,
    hooks: {
      extraPackages: (repository, digest) => packagesFromAttachedSboms(registry, repository, digest, { db }),
      scanned: async (image) => void (await attachSboms(registry, image)),
      // The same image in another repository gets its SBOMs there too; where it has them already
      // they stay (the stored scan does not keep the image's creation time the documents carry).
      reused: async (image) => {
        const existing = await registry.manifests.referrers(image.repository, image.digest, SBOM_FORMATS.cyclonedx.artifactType);
        if (!existing.some((referrer) => referrer.annotations?.[SBOM_GENERATOR_ANNOTATION] === SBOM_GENERATOR)) await attachSboms(registry, image);
      },
    },
  });
  const layers = startLayerRecorder(db, registry.events, (digest) => registry.blobs.read(digest));
  return {
    scans,
    layers,
    start: () => scans.start(),
    async close() {
      layers.stop();
      await scans.close();
      // Recordings under way finish before the database closes.
      await layers.settled();
    },
  };
}
