/**
 * The build information the Go toolchain (1.18 and later) embeds in every binary: the Go
 * version and the module list `go version -m` prints. It sits in the `.go.buildinfo` section,
 * or, when section headers are gone (stripped or not ELF), at a 16-byte boundary behind a magic. The blob is a
 * 32-byte header (magic, pointer size, flags) followed, in the inline format, by two
 * varint-length-prefixed strings: the Go version, then the module info text.
 *
 * Binaries from Go before 1.18 store pointers into the data segment instead; those are not
 * resolved here (they would need the program headers' address mapping): their blob is
 * recognised and reported as unsupported.
 */
import { elfSection, elfSections } from './elf.ts';

/** `\xff Go buildinf:`, the first bytes of the blob. */
export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_BYTES = 32;
const FLAG_INLINE = 0x2;
/** Far more than any real module list, so a damaged length cannot claim the whole binary. */
const MAX_STRING_BYTES = 4 * 1024 * 1024;
/** The module info text is framed by 16 bytes of marker on each side. */
const MODINFO_FRAME = 16;

/**
 * One module of a build: its path and version, with the replacement that was built instead.
 *
 * @example
 * const mod: GoModule = { path: 'golang.org/x/net', version: 'v0.17.0', sum: 'h1:…' };
 */
export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replacement?: GoModule;
}

/**
 * What a Go binary says about its build.
 *
 * @example
 * const info: GoBuildInfo = { goVersion: 'go1.21.3', path: 'oras.land/oras/cmd/oras', main: { path: 'oras.land/oras', version: 'v1.1.0' }, deps: [] };
 */
export interface GoBuildInfo {
  /** As the toolchain wrote it: `go1.21.3`, `go1.22rc1`, `devel go1.23-abc…`. */
  goVersion: string;
  /** The main package's import path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
}

/**
 * The build info blob of a Go binary, copied out so that the binary itself can be dropped: the
 * header and, in the inline format, the two strings after it. `undefined` when `binary` holds
 * no build info.
 *
 * @example
 * const blob = goBuildInfoBlob(readFileSync('/usr/bin/oras')); // a few KB
 */
export function goBuildInfoBlob(binary: Buffer): Buffer | undefined {
  const sections = elfSections(binary);
  const section = elfSection(binary, '.go.buildinfo', sections);
  // Only a binary without section headers is searched: with them, a Go binary names the section.
  const start = section?.subarray(0, GO_BUILDINFO_MAGIC.length).equals(GO_BUILDINFO_MAGIC) ? section.byteOffset - binary.byteOffset : sections ? undefined : findMagic(binary);
  if (start === undefined || start + HEADER_BYTES > binary.length) return undefined;
  const flags = binary[start + 15] as number;
  if (!(flags & FLAG_INLINE)) return Buffer.from(binary.subarray(start, start + HEADER_BYTES));
  let at = start + HEADER_BYTES;
  for (let string = 0; string < 2; string++) {
    const length = readVarint(binary, at);
    if (!length || length.value > MAX_STRING_BYTES) return undefined;
    at = length.next + length.value;
  }
  if (at > binary.length) return undefined;
  return Buffer.from(binary.subarray(start, at));
}

/** The first 16-byte-aligned occurrence of the magic (the linker aligns the blob so). */
function findMagic(binary: Buffer): number | undefined {
  for (let at = binary.indexOf(GO_BUILDINFO_MAGIC); at >= 0; at = binary.indexOf(GO_BUILDINFO_MAGIC, at + 1)) {
    if (at % 16 === 0) return at;
  }
  return undefined;
}

/** An unsigned LEB128 varint at `at`: its value and where the bytes after it begin. */
function readVarint(data: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, index = at; shift < 35 && index < data.length; shift += 7, index++) {
    const byte = data[index] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return { value, next: index + 1 };
  }
  return undefined;
}

/**
 * Reads a blob from {@link goBuildInfoBlob}. Returns `{ unsupported }` for the pre-1.18
 * pointer format or a damaged blob.
 *
 * @example
 * parseGoBuildInfo(blob); // { goVersion: 'go1.21.3', path: 'oras.land/oras/cmd/oras', main: {…}, deps: [{ path: 'github.com/spf13/cobra', version: 'v1.7.0', sum: 'h1:…' }, …] }
 */
export function parseGoBuildInfo(blob: Buffer): GoBuildInfo | { unsupported: string } {
  if (blob.length < HEADER_BYTES || !blob.subarray(0, GO_BUILDINFO_MAGIC.length).equals(GO_BUILDINFO_MAGIC)) return { unsupported: 'no Go build info header' };
  if (!((blob[15] as number) & FLAG_INLINE)) return { unsupported: 'build info in the pointer format of Go before 1.18' };
  const strings: Buffer[] = [];
  let at = HEADER_BYTES;
  for (let string = 0; string < 2; string++) {
    const length = readVarint(blob, at);
    if (!length || length.next + length.value > blob.length) return { unsupported: 'a truncated build info string' };
    strings.push(blob.subarray(length.next, length.next + length.value));
    at = length.next + length.value;
  }
  const [version = Buffer.alloc(0), framed = Buffer.alloc(0)] = strings;
  const goVersion = version.toString('utf8');
  if (!goVersion) return { unsupported: 'no Go version in the build info' };
  // The frame is binary; the text between is what `debug.ReadBuildInfo` parses.
  const text = framed.length >= 2 * MODINFO_FRAME ? framed.toString('utf8', MODINFO_FRAME, framed.length - MODINFO_FRAME) : '';
  return { goVersion, ...parseModInfo(text) };
}

/** The `path`, `mod`, `dep` and `=>` lines of a module info text. */
function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion'> {
  const info: Omit<GoBuildInfo, 'goVersion'> = { deps: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const [kind, path = '', version = '', sum] = line.split('\t');
    if (kind === 'path') info.path = path;
    else if ((kind === 'mod' || kind === 'dep') && path) {
      last = { path, version, ...(sum ? { sum } : {}) };
      if (kind === 'mod') info.main = last;
      else info.deps.push(last);
    } else if (kind === '=>' && last && path) last.replacement = { path, version, ...(sum ? { sum } : {}) };
  }
  return info;
}

/**
 * A Go toolchain version as OSV's `stdlib` ranges write it (SemVer without the `v`):
 * `go1.21.3` → `1.21.3`, `go1.20` → `1.20.0`, `go1.22rc1` → `1.22.0-rc.1`; a development
 * build (`devel …`) or anything else unrecognised → `undefined`.
 *
 * @example
 * stdlibVersion('go1.21.3 X:boringcrypto'); // '1.21.3'
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const match = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(beta|rc)(\d+))?(?:\s|$|-)/.exec(goVersion);
  if (!match) return undefined;
  const [, major, minor, patch = '0', pre, preNumber] = match;
  return `${major}.${minor}.${patch}${pre ? `-${pre}.${preNumber}` : ''}`;
}

/** How much is captured after each candidate magic: far more than any real build info blob. */
const CAPTURE_BYTES = 1024 * 1024;

/**
 * Finds the build info of a binary too large to hold, fed its bytes in order: every 16-byte
 * aligned magic starts a capture of the next {@link CAPTURE_BYTES} (at most), and the last
 * capture that reads as build info wins, since `.go.buildinfo` comes after the read-only data
 * where a stray copy of the magic could be. Holds a few captures at most, never the binary.
 *
 * @example
 * const scanner = new GoBuildInfoScanner();
 * for await (const chunk of createReadStream('/usr/local/bin/terraform')) scanner.push(chunk);
 * scanner.finish(); // the blob, as goBuildInfoBlob would return it
 */
export class GoBuildInfoScanner {
  /** Bytes seen so far: the absolute offset of the next chunk. */
  #offset = 0;
  /** The last bytes of the previous chunk, for a magic split across chunks. */
  #tail = Buffer.alloc(0);
  #captures: { chunks: Buffer[]; length: number }[] = [];
  #found: Buffer | undefined;

  push(chunk: Buffer): void {
    // Captures in progress take what they still need (a copy: the chunk may be reused).
    for (const capture of this.#captures) {
      const piece = chunk.subarray(0, CAPTURE_BYTES - capture.length);
      capture.chunks.push(Buffer.from(piece));
      capture.length += piece.length;
    }
    this.#settle(false);
    const start = this.#offset - this.#tail.length;
    const window = this.#tail.length ? Buffer.concat([this.#tail, chunk.subarray(0, GO_BUILDINFO_MAGIC.length - 1)]) : Buffer.alloc(0);
    // A magic straddling the boundary, then magics wholly inside the chunk.
    for (let at = window.indexOf(GO_BUILDINFO_MAGIC); at >= 0; at = window.indexOf(GO_BUILDINFO_MAGIC, at + 1)) {
      if ((start + at) % 16 === 0) this.#begin(Buffer.concat([window.subarray(at), chunk.subarray(GO_BUILDINFO_MAGIC.length - 1)]));
    }
    for (let at = chunk.indexOf(GO_BUILDINFO_MAGIC); at >= 0; at = chunk.indexOf(GO_BUILDINFO_MAGIC, at + 1)) {
      if ((this.#offset + at) % 16 === 0) this.#begin(chunk.subarray(at));
    }
    this.#offset += chunk.length;
    const last = chunk.length >= GO_BUILDINFO_MAGIC.length - 1 ? chunk : Buffer.concat([this.#tail, chunk]);
    this.#tail = Buffer.from(last.subarray(Math.max(0, last.length - (GO_BUILDINFO_MAGIC.length - 1))));
  }

  /** The build info blob found, or `undefined`. */
  finish(): Buffer | undefined {
    this.#settle(true);
    return this.#found;
  }

  #begin(from: Buffer): void {
    const piece = Buffer.from(from.subarray(0, CAPTURE_BYTES));
    this.#captures.push({ chunks: [piece], length: piece.length });
    this.#settle(false);
  }

  /** Reads the captures that are complete (or all, at the end); keeps the last valid one. */
  #settle(end: boolean): void {
    this.#captures = this.#captures.filter((capture) => {
      const bytes = capture.chunks.length === 1 ? (capture.chunks[0] as Buffer) : Buffer.concat(capture.chunks);
      capture.chunks = [bytes];
      const blob = goBuildInfoBlob(bytes);
      // Incomplete until the blob fits: keep capturing unless the window or the file is over.
      if (!blob && !end && capture.length < CAPTURE_BYTES) return true;
      if (blob && isPlausible(blob)) this.#found = blob;
      return false;
    });
  }
}

/** Whether a blob found by a magic alone is really build info, not a stray copy of the magic. */
function isPlausible(blob: Buffer): boolean {
  const info = parseGoBuildInfo(blob);
  if ('unsupported' in info) return !((blob[15] as number) & FLAG_INLINE) && (blob[14] === 4 || blob[14] === 8);
  return /^(?:go\d|devel )/.test(info.goVersion);
}
