/**
 * Minimal ELF files for tests: a file header, the given sections' bytes, a section name table
 * and the section header table, nothing loadable. Enough for every reader in this directory.
 */

/** One section to put in a test ELF file. */
export interface TestSection {
  name: string;
  data: Buffer;
  /** `sh_type`; `PROGBITS` (1) unless given. */
  type?: number;
}

/** The shape of a test ELF file. */
export interface TestElfOptions {
  bits?: 32 | 64;
  littleEndian?: boolean;
  sections: TestSection[];
  /** Bytes before the first section, e.g. to move data off a 16-byte boundary. */
  padding?: number;
}

/**
 * An ELF file holding `sections` (plus the null section and `.shstrtab`).
 *
 * @example
 * const elf = testElf({ sections: [{ name: '.dep-v0', data: deflateSync('{"packages":[]}') }] });
 */
export function testElf({ bits = 64, littleEndian = true, sections, padding = 0 }: TestElfOptions): Buffer {
  const is64 = bits === 64;
  const headerSize = is64 ? 64 : 52;
  const entrySize = is64 ? 64 : 40;
  const all: TestSection[] = [...sections, { name: '.shstrtab', data: Buffer.alloc(0), type: 3 }];
  // The name table: a leading NUL (the null section's name), then each name NUL-terminated.
  const nameOffsets: number[] = [];
  const names: Buffer[] = [Buffer.alloc(1)];
  let namesLength = 1;
  for (const section of all) {
    nameOffsets.push(namesLength);
    const name = Buffer.from(`${section.name}\0`, 'latin1');
    names.push(name);
    namesLength += name.length;
  }
  const nameTable = Buffer.concat(names);
  (all[all.length - 1] as TestSection).data = nameTable;

  const body: Buffer[] = [Buffer.alloc(headerSize + padding)];
  let at = headerSize + padding;
  const offsets: number[] = [];
  for (const section of all) {
    offsets.push(at);
    body.push(section.data);
    at += section.data.length;
  }
  const align = (8 - (at % 8)) % 8;
  body.push(Buffer.alloc(align));
  const tableOffset = at + align;
  const table = Buffer.alloc(entrySize * (all.length + 1));
  const u16 = (buffer: Buffer, value: number, offset: number) => (littleEndian ? buffer.writeUInt16LE(value, offset) : buffer.writeUInt16BE(value, offset));
  const u32 = (buffer: Buffer, value: number, offset: number) => (littleEndian ? buffer.writeUInt32LE(value, offset) : buffer.writeUInt32BE(value, offset));
  const word = (buffer: Buffer, value: number, offset: number) => {
    if (!is64) u32(buffer, value, offset);
    else if (littleEndian) buffer.writeBigUInt64LE(BigInt(value), offset);
    else buffer.writeBigUInt64BE(BigInt(value), offset);
  };
  for (const [index, section] of all.entries()) {
    const entry = entrySize * (index + 1);
    u32(table, nameOffsets[index] as number, entry);
    u32(table, section.type ?? 1, entry + 4);
    word(table, offsets[index] as number, entry + (is64 ? 24 : 16));
    word(table, section.data.length, entry + (is64 ? 32 : 20));
  }
  body.push(table);

  const header = body[0] as Buffer;
  header.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, littleEndian ? 1 : 2, 1]);
  u16(header, 2, 16); // ET_EXEC
  word(header, tableOffset, is64 ? 0x28 : 0x20);
  u16(header, headerSize, is64 ? 0x34 : 0x28);
  u16(header, entrySize, is64 ? 0x3a : 0x2e);
  u16(header, all.length + 1, is64 ? 0x3c : 0x30);
  u16(header, all.length, is64 ? 0x3e : 0x32);
  return Buffer.concat(body);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.push((value & 0x7f) | (value >= 0x80 ? 0x80 : 0));
    value >>>= 7;
  } while (value > 0);
  return Buffer.from(bytes);
}

/**
 * A Go build info blob in the inline format of Go 1.18 and later, as the linker writes it into
 * `.go.buildinfo`: `modinfo` is the text `go version -m` prints, tab-separated.
 *
 * @example
 * testGoBuildInfo('go1.21.3', 'path\texample.com/app\nmod\texample.com/app\tv1.0.0\t\n');
 */
export function testGoBuildInfo(goVersion: string, modinfo: string): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 'latin1');
  header[14] = 8;
  header[15] = 0x2;
  const version = Buffer.from(goVersion);
  // The frame markers' values do not matter to a reader: only their 16-byte length does.
  const framed = Buffer.concat([Buffer.alloc(16, 0xaa), Buffer.from(modinfo), Buffer.alloc(16, 0xbb)]);
  return Buffer.concat([header, varint(version.length), version, varint(framed.length), framed]);
}
