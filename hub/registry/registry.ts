/** The rules behind the distribution API, as one object the HTTP layer is given. */
import type { BlobStore } from '../../storage/blobstore.ts';
import type { Database } from '../db/open.ts';
import { BlobService } from './blobs.ts';
import { ManifestService } from './manifests.ts';
import { UploadService } from './uploads.ts';
import { RegistryEvents } from './events.ts';
import { collectGarbage, type GcOptions, type GcReport } from './gc.ts';

export interface Registry {
  blobs: BlobService;
  uploads: UploadService;
  manifests: ManifestService;
  /** Subscribe here to react to pushes and deletions. */
  events: RegistryEvents;
  collectGarbage(options: GcOptions): Promise<GcReport>;
}

export function createRegistry(db: Database, store: BlobStore): Registry {
  const events = new RegistryEvents();
  const manifests = new ManifestService(db, events);
  return {
    events,
    blobs: new BlobService(db, store),
    uploads: new UploadService(db, store),
    manifests,
    async collectGarbage(options) {
      const report = await collectGarbage(db, store, options);
      if (!report.dryRun) {
        for (const { repository, digest } of report.manifests) {
          manifests.forget(repository);
          events.emit({ type: 'manifest.deleted', repository, digest });
        }
      }
      return report;
    },
  };
}
