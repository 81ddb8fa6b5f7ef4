/**
 * A layer blob from tar entries: the tar is gzipped into a temporary file while both digests are
 * computed on the way — the blob's (compressed) digest and size, and the diffID (the sha256 of
 * the uncompressed tar) that the image config lists.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { scratchName } from './scratch.ts';
import { writeTar, type TarEntry, type TarWriteOptions } from './tar.ts';

/** The media type of a gzipped tar layer. */
export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A layer written to disk, ready to push. */
export interface LayerBlob {
  mediaType: typeof LAYER_MEDIA_TYPE;
  /** The file holding the gzipped tar. */
  path: string;
  /** sha256 of the compressed bytes: the blob's digest. */
  digest: string;
  /** Compressed size in bytes. */
  size: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
}

export interface LayerOptions extends TarWriteOptions {
  /** Where to write the blob; a new temporary directory by default. */
  directory?: string;
}

/** Counts and hashes the bytes that flow through it. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }
}

/**
 * Writes `entries` as a gzipped tar layer (in `options.directory`, else in a new temporary
 * directory the caller removes; nothing is left behind on failure). The gzip header carries no name and an MTIME of 0,
 * and the compression level is fixed, so the same entries always give the same digests.
 *
 * @example
 * const layer = await writeLayer(entries, { sourceDateEpoch: 0 });
 * // { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', path: '/tmp/…/layer.tar.gz', digest: 'sha256:…', size: 1234, diffId: 'sha256:…' }
 */
export async function writeLayer(entries: readonly TarEntry[], options: LayerOptions = {}): Promise<LayerBlob> {
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'nocker-layer-')));
  const path = join(directory, `${scratchName('layer')}.tar.gz`);
  const uncompressed = new Measure();
  const compressed = new Measure();
  try {
    await pipeline(
      Readable.from(writeTar(entries, options)),
      uncompressed,
      createGzip({ level: constants.Z_DEFAULT_COMPRESSION }),
      compressed,
      createWriteStream(path, { mode: 0o600 }),
    );
  } catch (err) {
    await rm(options.directory ? path : directory, { recursive: true, force: true });
    throw err;
  }
  return {
    mediaType: LAYER_MEDIA_TYPE,
    path,
    digest: `sha256:${compressed.hash.digest('hex')}`,
    size: compressed.size,
    diffId: `sha256:${uncompressed.hash.digest('hex')}`,
  };
}
