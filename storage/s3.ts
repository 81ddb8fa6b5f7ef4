/** The S3 BlobStore (being written). */
import type { BlobStore } from './blobstore.ts';

export interface S3StoreOptions {
  bucket: string;
  endpoint?: string;
  region: string;
  prefix: string;
  forcePathStyle: boolean;
  redirect: boolean;
}

export declare class S3BlobStore implements BlobStore {
  constructor(options: S3StoreOptions);
  readonly description: string;
  stat: BlobStore['stat'];
  read: BlobStore['read'];
  delete: BlobStore['delete'];
  list: BlobStore['list'];
  createUpload: BlobStore['createUpload'];
  appendUpload: BlobStore['appendUpload'];
  readUpload: BlobStore['readUpload'];
  commitUpload: BlobStore['commitUpload'];
  abortUpload: BlobStore['abortUpload'];
  listUploads: BlobStore['listUploads'];
  check: BlobStore['check'];
  close: BlobStore['close'];
}
