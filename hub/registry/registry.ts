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
  return {
    events,
    blobs: new BlobService(db, store),
    uploads: new UploadService(db, store),
    manifests: new ManifestService(db, events),
    collectGarbage: (options) => collectGarbage(db, store, options),
  };
}
