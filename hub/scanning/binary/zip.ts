/**
 * A synchronous reader for zip archives held in memory (jars), enough to list entries and
 * read the few small ones a scan needs: end of central directory (with ZIP64), central
 * directory, local headers, stored and deflated data. Every offset is checked against the
 * buffer and every inflation is capped, so a damaged or hostile archive yields
 * `undefined` or fewer entries, never an exception or a zip bomb.
 */
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
const MAX_COMMENT = 0xffff;

/**
 * One entry of the central directory.
 *
 * @example
 * const entry: ZipEntry = { name: 'META-INF/MANIFEST.MF', method: 8, compressedSize: 60, size: 81, localOffset: 0, encrypted: false };
 */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  encrypted: boolean;
}

function u64(data: Buffer, at: number): number {
  const value = data.readBigUInt64LE(at);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.MAX_SAFE_INTEGER;
}

/** Where the central directory is and how many entries it has. */
function directoryOf(zip: Buffer): { offset: number; count: number } | undefined {
  const from = Math.max(0, zip.length - 22 - MAX_COMMENT);
  for (let at = zip.length - 22; at >= from; at--) {
    if (zip.readUInt32LE(at) !== EOCD) continue;
    let count = zip.readUInt16LE(at + 10);
    let offset = zip.readUInt32LE(at + 16);
    // ZIP64: the real figures are in a record the locator just before points to.
    if ((count === 0xffff || offset === 0xffffffff) && at >= 20 && zip.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
      const record = u64(zip, at - 20 + 8);
      if (record + 56 > zip.length || zip.readUInt32LE(record) !== ZIP64_EOCD) return undefined;
      count = u64(zip, record + 32);
      offset = u64(zip, record + 48);
    }
    return offset < zip.length ? { offset, count } : undefined;
  }
  return undefined;
}

/**
 * The entries of the zip archive `zip`, in central directory order; `undefined` when it is
 * not a readable zip.
 *
 * @example
 * zipEntries(readFileSync('app.jar'))?.map((entry) => entry.name); // ['META-INF/', 'META-INF/MANIFEST.MF', …]
 */
export function zipEntries(zip: Buffer): ZipEntry[] | undefined {
  if (zip.length < 22) return undefined;
  const directory = directoryOf(zip);
  if (!directory) return undefined;
  const entries: ZipEntry[] = [];
  let at = directory.offset;
  for (let index = 0; index < directory.count; index++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) break;
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > zip.length) break;
    let compressedSize = zip.readUInt32LE(at + 20);
    let size = zip.readUInt32LE(at + 24);
    let localOffset = zip.readUInt32LE(at + 42);
    // ZIP64 extra field: the 64-bit values of whichever fields are saturated, in this order.
    const extra = zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    for (let field = 0; field + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(field);
      const length = extra.readUInt16LE(field + 2);
      if (id === 0x0001) {
        let value = field + 4;
        const next = () => (value + 8 <= field + 4 + length && value + 8 <= extra.length ? u64(extra, (value += 8) - 8) : undefined);
        if (size === 0xffffffff) size = next() ?? size;
        if (compressedSize === 0xffffffff) compressedSize = next() ?? compressedSize;
        if (localOffset === 0xffffffff) localOffset = next() ?? localOffset;
      }
      field += 4 + length;
    }
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize,
      size,
      localOffset,
      encrypted: (zip.readUInt16LE(at + 8) & 1) !== 0,
    });
    at = end;
  }
  return entries;
}

/**
 * The uncompressed bytes of `entry`, or `undefined` when it is encrypted, uses a method other
 * than stored or deflate, lies outside `zip`, or inflates past `maxBytes`.
 *
 * @example
 * const manifest = zipEntries(jar)?.find((entry) => entry.name === 'META-INF/MANIFEST.MF');
 * zipEntryData(jar, manifest, 1024 * 1024)?.toString('utf8');
 */
export function zipEntryData(zip: Buffer, entry: ZipEntry, maxBytes: number): Buffer | undefined {
  if (entry.encrypted || entry.size > maxBytes) return undefined;
  const at = entry.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL) return undefined;
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  // The central directory's size: the local one may be zero when a data descriptor follows.
  const end = start + entry.compressedSize;
  if (end > zip.length) return undefined;
  const raw = zip.subarray(start, end);
  if (entry.method === STORED) return raw;
  if (entry.method !== DEFLATED) return undefined;
  try {
    return inflateRawSync(raw, { maxOutputLength: Math.max(1, maxBytes) });
  } catch {
    return undefined;
  }
}
