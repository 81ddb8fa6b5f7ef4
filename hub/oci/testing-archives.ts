/**
 * Hand-made archives for tests (not itself a test file): tar entries exactly as given, header by
 * header, for hostile and unusual layers the repository's own writer would never produce (`..`,
 * absolute names, devices, links anywhere); and zstd streams made without a compressor.
 */
import { Buffer } from 'node:buffer';

/** One entry of a hand-made archive: whatever a hostile or unusual layer may hold, in the order given. */
export interface RawEntry {
  path: string;
  /** The typeflag: 0 file, 1 hard link, 2 symlink, 3 char device, 4 block device, 5 directory, 6 FIFO, x PAX header. */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x';
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  /** Text (written as UTF-8) or bytes, such as an executable. */
  content?: string | Uint8Array;
  /** PAX records written in an `x` header before the entry (`path` overrides the name). */
  pax?: Record<string, string>;
}

/** A ustar header block, built field by field so that nothing gets normalized or sorted. */
export function ustarHeader(entry: RawEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const text = (offset: number, length: number, value: string) => {
    if (Buffer.byteLength(value) > length) throw new Error(`"${value}" does not fit a ustar field of ${length} bytes`);
    block.write(value, offset, length, 'utf8');
  };
  const octal = (offset: number, length: number, value: number) => text(offset, length - 1, value.toString(8).padStart(length - 1, '0'));
  const type = entry.type ?? '0';
  text(0, 100, entry.path);
  octal(100, 8, entry.mode ?? (type === '5' ? 0o755 : 0o644));
  octal(108, 8, entry.uid ?? 0);
  octal(116, 8, entry.gid ?? 0);
  octal(124, 12, size);
  octal(136, 12, entry.mtime ?? 1_000_000_000);
  text(156, 1, type);
  text(157, 100, entry.linkname ?? '');
  text(257, 6, 'ustar');
  text(263, 2, '00');
  // The checksum is computed with its own field read as spaces.
  block.fill(' ', 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  text(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** One PAX record, `LENGTH key=value\n`, where LENGTH counts itself too. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length = Buffer.byteLength(`${length}${body}`);
  return `${length}${body}`;
}

/**
 * A tar archive of `entries` exactly as given, ending in `trailing` zero bytes (the two end
 * blocks by default; more to test that a diffID covers the padding after them).
 *
 * @example
 * rawTar([{ path: '../escape', content: 'x' }, { path: 'etc/link', type: '2', linkname: '/etc' }]);
 */
export function rawTar(entries: readonly RawEntry[], trailing = 1024): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.pax) {
      const records = Buffer.from(Object.entries(entry.pax).map(([key, value]) => paxRecord(key, value)).join(''));
      parts.push(ustarHeader({ path: 'PaxHeader', type: 'x' }, records.length), records, Buffer.alloc((512 - (records.length % 512)) % 512));
    }
    const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : Buffer.from(entry.content ?? []);
    parts.push(ustarHeader(entry, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(trailing));
  return Buffer.concat(parts);
}

/**
 * `data` as zstd frames of stored (raw) blocks, as RFC 8878 lays them out: any bytes can be
 * made into a valid zstd stream without a compressor. Each frame holds at most `frameSize`
 * bytes, so that a reader must cross frame boundaries.
 *
 * @example
 * await writeFile('layer.tar.zst', zstdStored(rawTar(entries)));
 */
export function zstdStored(data: Buffer, frameSize = 100_000): Buffer {
  const BLOCK_MAX = 128 * 1024;
  const parts: Buffer[] = [];
  for (let start = 0; start === 0 || start < data.length; start += frameSize) {
    const frame = data.subarray(start, start + frameSize);
    // Magic; descriptor 0 (no content size, no checksum); window descriptor 0x38: 2^17 bytes.
    parts.push(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]));
    let at = 0;
    do {
      const block = frame.subarray(at, at + BLOCK_MAX);
      at += block.length;
      const last = at >= frame.length ? 1 : 0;
      // Block header, 3 bytes little-endian: last-block bit, type 0 (raw), size.
      const header = (block.length << 3) | last;
      parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
    } while (at < frame.length);
  }
  return Buffer.concat(parts);
}
