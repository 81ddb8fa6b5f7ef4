/** The rules behind the distribution API, as one object the HTTP layer is given. */
import type { BlobStore } from '../../storage/blobstore.ts';
import type { Database } from '../db/open.ts';
import { BlobService } from './blobs.ts';
import { ManifestService } from './manifests.ts';
import { UploadService } from './uploads.ts';
import { collectGarbage, type GcOptions, type GcReport } from './gc.ts';

export interface Registry {
  blobs: BlobService;
  uploads: UploadService;
  manifests: ManifestService;
  collectGarbage(options: GcOptions): Promise<GcReport>;
}

export function createRegistry(db: Database, store: BlobStore): Registry {
  return {
    blobs: new BlobService(db, store),
    uploads: new UploadService(db, store),
    manifests: new ManifestService(db),
    collectGarbage: (options) => collectGarbage(db, store, options),
  };
}
