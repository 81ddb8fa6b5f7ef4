/**
 * How a layer's bytes are compressed, told by their first bytes rather than by a name or media
 * type, and a stream stage that undoes it: gzip, zstd (Node 20's zlib has none: fzstd, pure
 * JavaScript) or none. Shared by the build engine and the Hub's scanner.
 */
import { Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';

/** How a tarball's bytes are compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** How many leading bytes {@link compressionOf} needs to tell. */
export const MAGIC_LENGTH = ZSTD_MAGIC.length;

/**
 * The compression whose magic number `head` (the first bytes of the data) starts with: gzip
 * `1f 8b`, zstd `28 b5 2f fd`, else none.
 *
 * @example
 * compressionOf(Buffer.from([0x1f, 0x8b, 8, 0])); // 'gzip'
 */
export function compressionOf(head: Uint8Array): Compression {
  const startsWith = (magic: number[]) => head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
  if (startsWith(GZIP_MAGIC)) return 'gzip';
  if (startsWith(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * fzstd hands out a whole block (up to 128 KiB) per call, and a few bytes of input can make
 * many blocks: feeding it small slices, pulled one at a time, keeps a hostile layer from
 * inflating far ahead of the reader.
 */
const ZSTD_SLICE = 1024;

/** Decompresses a zstd stream (one or more frames) as it is read. */
async function* unzstd(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const ready: Uint8Array[] = [];
  const decoder = new ZstdDecompress((data) => {
    if (data.length > 0) ready.push(data);
  });
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; at += ZSTD_SLICE) {
      decoder.push(chunk.subarray(at, at + ZSTD_SLICE));
      yield* ready.splice(0);
    }
  }
  // The final push throws when the stream stops inside a frame.
  decoder.push(new Uint8Array(0), true);
  yield* ready.splice(0);
}

/**
 * A stream stage that undoes `compression` (a pass-through for `none`), for `pipeline()` or
 * `pipe()`. Nothing is held whole: bytes come out as they are decompressed.
 *
 * @example
 * await pipeline(createReadStream('layer.tar.zst'), decompressor('zstd'), createWriteStream('layer.tar'));
 */
export function decompressor(compression: Compression): Duplex {
  switch (compression) {
    case 'gzip':
      return createGunzip();
    case 'zstd':
      return Duplex.from(unzstd);
    case 'none':
      return new PassThrough();
  }
}
