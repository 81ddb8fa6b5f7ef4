/**
 * Just enough of ELF to find a section by name: the file header and the section header table,
 * 32- or 64-bit, little- or big-endian. Every offset read from the file is checked against its
 * length, so a truncated or hostile binary yields `undefined`, never an exception.
 */

/** The magic every ELF file starts with. */
export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** `SHT_NOBITS`: a section that occupies no bytes in the file (`.bss`). */
const SHT_NOBITS = 8;
/** `SHF_COMPRESSED`: section bytes compressed as a whole, which no reader here needs. */
const SHF_COMPRESSED = 0x800;

/**
 * One section of an ELF file, where its bytes are in the file.
 *
 * @example
 * const section: ElfSection = { name: '.go.buildinfo', type: 1, flags: 3, offset: 4096, size: 256 };
 */
export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
}

/**
 * Whether `data` starts like an ELF file.
 *
 * @example
 * isElf(readFileSync('/usr/bin/env')); // true
 */
export function isElf(data: Buffer): boolean {
  return data.length >= 4 && data.subarray(0, 4).equals(ELF_MAGIC);
}

/** Reads unsigned integers of the file's class and byte order, `undefined` past the end. */
class Reader {
  constructor(
    readonly data: Buffer,
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {}

  u16(at: number): number | undefined {
    if (at < 0 || at + 2 > this.data.length) return undefined;
    return this.littleEndian ? this.data.readUInt16LE(at) : this.data.readUInt16BE(at);
  }

  u32(at: number): number | undefined {
    if (at < 0 || at + 4 > this.data.length) return undefined;
    return this.littleEndian ? this.data.readUInt32LE(at) : this.data.readUInt32BE(at);
  }

  /** A 64-bit value, or `undefined` when it does not fit a safe integer (no real offset does). */
  u64(at: number): number | undefined {
    if (at < 0 || at + 8 > this.data.length) return undefined;
    const value = this.littleEndian ? this.data.readBigUInt64LE(at) : this.data.readBigUInt64BE(at);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }

  /** An address-sized value: 8 bytes in a 64-bit file, 4 in a 32-bit one. */
  word(at: number): number | undefined {
    return this.is64 ? this.u64(at) : this.u32(at);
  }
}

/**
 * The sections of the ELF file `data`, or `undefined` when it is not ELF or its section header
 * table is missing or damaged.
 *
 * @example
 * elfSections(readFileSync('/usr/bin/oras'))?.map((section) => section.name); // ['', '.text', …, '.go.buildinfo', …]
 */
export function elfSections(data: Buffer): ElfSection[] | undefined {
  if (!isElf(data) || data.length < 52) return undefined;
  const elfClass = data[4];
  const encoding = data[5];
  if ((elfClass !== 1 && elfClass !== 2) || (encoding !== 1 && encoding !== 2)) return undefined;
  const is64 = elfClass === 2;
  const read = new Reader(data, encoding === 1, is64);
  const tableOffset = read.word(is64 ? 0x28 : 0x20);
  const entrySize = read.u16(is64 ? 0x3a : 0x2e);
  let count = read.u16(is64 ? 0x3c : 0x30);
  let namesIndex = read.u16(is64 ? 0x3e : 0x32);
  if (!tableOffset || entrySize === undefined || count === undefined || namesIndex === undefined) return undefined;
  if (entrySize < (is64 ? 64 : 40)) return undefined;
  // With many sections, the real count and string table index live in section 0.
  if (count === 0) count = read.word(tableOffset + (is64 ? 32 : 20));
  if (namesIndex === 0xffff) namesIndex = read.u32(tableOffset + (is64 ? 40 : 24));
  if (!count || namesIndex === undefined || namesIndex >= count) return undefined;
  if (tableOffset + count * entrySize > data.length) return undefined;

  const raw: (ElfSection & { nameOffset: number })[] = [];
  for (let index = 0; index < count; index++) {
    const at = tableOffset + index * entrySize;
    const nameOffset = read.u32(at);
    const type = read.u32(at + 4);
    const flags = read.word(at + 8);
    const offset = read.word(is64 ? at + 24 : at + 16);
    const size = read.word(is64 ? at + 32 : at + 20);
    if (nameOffset === undefined || type === undefined || flags === undefined || offset === undefined || size === undefined) return undefined;
    raw.push({ name: '', nameOffset, type, flags, offset, size });
  }
  const names = raw[namesIndex];
  if (!names || names.offset + names.size > data.length) return undefined;
  const table = data.subarray(names.offset, names.offset + names.size);
  return raw.map(({ nameOffset, ...section }) => {
    const end = table.indexOf(0, nameOffset);
    return { ...section, name: nameOffset < table.length ? table.toString('latin1', nameOffset, end < 0 ? table.length : end) : '' };
  });
}

/**
 * The bytes of the section called `name` in the ELF file `data` (a view, not a copy), or
 * `undefined` when there is no such section with bytes in the file.
 *
 * @example
 * elfSection(readFileSync('/usr/bin/oras'), '.go.buildinfo')?.subarray(0, 14).toString('latin1'); // '\xff Go buildinf:'
 */
export function elfSection(data: Buffer, name: string, sections: readonly ElfSection[] | undefined = elfSections(data)): Buffer | undefined {
  const section = sections?.find((candidate) => candidate.name === name);
  if (!section || section.type === SHT_NOBITS || section.flags & SHF_COMPRESSED) return undefined;
  if (section.offset + section.size > data.length) return undefined;
  return data.subarray(section.offset, section.offset + section.size);
}
