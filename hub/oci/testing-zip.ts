/**
 * Zip archives made in memory for tests (not itself a test file): OSV's `all.zip` exports and
 * Java archives, without depending on a `zip` command being installed.
 */
import { Buffer } from 'node:buffer';
import { crc32, deflateRawSync } from 'node:zlib';

/** One member: its name and content; `deflate: false` stores it as it is. */
export interface ZipMember {
  name: string;
  content: string | Uint8Array;
  deflate?: boolean;
}

/**
 * How to write the archive: `zip64` writes every size and offset in ZIP64 extra fields and
 * ends with the ZIP64 end record and its locator, as zip tools do for archives past 4 GiB.
 *
 * @example
 * const options: ZipOptions = { zip64: true };
 */
export interface ZipOptions {
  zip64?: boolean;
}

/** Saturated 32-bit fields that say "the real value is in the ZIP64 extra field". */
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

/** A ZIP64 extended information extra field (id 0x0001) holding `values` as 8-byte integers. */
function zip64Extra(values: readonly number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((value, index) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * index));
  return extra;
}

/** The ZIP64 end of central directory record followed by its locator, for a record at `at`. */
function zip64End(count: number, directorySize: number, directoryOffset: number, at: number): Buffer {
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4); // the size of what follows this field
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(at), 8);
  locator.writeUInt32LE(1, 16); // one disk in all
  return Buffer.concat([record, locator]);
}

/**
 * A zip archive of `members`, in order: local headers, then the central directory, then the
 * end record (preceded by the ZIP64 ones with `zip64`). Times are fixed (1980-01-01), so the
 * bytes depend on the members and options only.
 *
 * @example
 * const jar = zipArchive([{ name: 'META-INF/maven/g/a/pom.properties', content: 'groupId=g\nartifactId=a\nversion=1.0\n' }]);
 * const big = zipArchive([{ name: 'a.txt', content: 'a' }], { zip64: true });
 */
export function zipArchive(members: readonly ZipMember[], options: ZipOptions = {}): Buffer {
  const zip64 = options.zip64 ?? false;
  const version = zip64 ? 45 : 20;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const raw = Buffer.from(member.content);
    const deflate = member.deflate ?? true;
    const data = deflate ? deflateRawSync(raw) : raw;
    const method = deflate ? 8 : 0;
    const checksum = crc32(raw);
    const localExtra = zip64 ? zip64Extra([raw.length, data.length]) : Buffer.alloc(0);
    const centralExtra = zip64 ? zip64Extra([raw.length, data.length, offset]) : Buffer.alloc(0);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(version, 4);
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(zip64 ? MAX32 : data.length, 18);
    local.writeUInt32LE(zip64 ? MAX32 : raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    locals.push(local, name, localExtra, data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(version, 4);
    central.writeUInt16LE(version, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(checksum, 16);
    central.writeUInt32LE(zip64 ? MAX32 : data.length, 20);
    central.writeUInt32LE(zip64 ? MAX32 : raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(centralExtra.length, 30);
    central.writeUInt32LE(zip64 ? MAX32 : offset, 42);
    centrals.push(central, name, centralExtra);

    offset += local.length + name.length + localExtra.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? MAX16 : members.length, 8);
  end.writeUInt16LE(zip64 ? MAX16 : members.length, 10);
  end.writeUInt32LE(zip64 ? MAX32 : directory.length, 12);
  end.writeUInt32LE(zip64 ? MAX32 : offset, 16);
  const ends = zip64 ? [zip64End(members.length, directory.length, offset, offset + directory.length), end] : [end];
  return Buffer.concat([...locals, directory, ...ends]);
}
