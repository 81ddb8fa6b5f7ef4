/**
 * A streaming tar reader: ustar, PAX (`x`, `g`) and GNU long names (`L`, `K`), base-256 numbers.
 * Each entry's content is read from the archive as the caller consumes it.
 */
import { Buffer } from 'node:buffer';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo' | 'other';

/** One entry of an archive being read. */
export interface TarReadEntry {
  type: TarEntryType;
  /** The path as stored (a directory's trailing `/` removed). */
  path: string;
  /** The link target of a symlink or hard link, else `''`. */
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  mtime: number;
  /** The raw typeflag character. */
  typeflag: string;
  /**
   * The entry's content (`size` bytes for a file). Read it before asking for the next entry;
   * what is left unread is skipped.
   */
  content: AsyncIterable<Buffer>;
}

const BLOCK = 512;

/** Pulls exact byte counts out of a stream of chunks. */
class ByteSource {
  readonly #iterator: AsyncIterator<Uint8Array>;
  #buffered: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (async function* () {
      yield* source;
    })();
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    return true;
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.#buffered.length < n && (await this.#fill()));
    const out = this.#buffered.subarray(0, n);
    this.#buffered = this.#buffered.subarray(out.length);
    return out;
  }

  /** Up to `n` bytes in the pieces they arrive in. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#buffered.length === 0 && !(await this.#fill())) throw new Error('tar archive ends in the middle of an entry');
      const out = this.#buffered.subarray(0, Math.min(left, this.#buffered.length));
      this.#buffered = this.#buffered.subarray(out.length);
      left -= out.length;
      yield out;
    }
  }
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function readNumber(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte a marker.
    let value = first & 0x3f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return first & 0x40 ? -value : value;
  }
  const text = readString(block, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === readNumber(block, 148, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = parseInt(data.subarray(at, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) throw new Error('malformed PAX header');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo' };

async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const piece of pieces) chunks.push(piece);
  return Buffer.concat(chunks);
}

/** The largest PAX or GNU long-name header read by default: 1 MiB, far beyond any real one. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

export interface ReadTarOptions {
  /** The largest extended header (PAX `x`/`g`, GNU `L`/`K`) accepted; default {@link MAX_EXTENDED_HEADER_BYTES}. */
  maxExtendedHeaderBytes?: number;
}

/**
 * Reads a tar archive, yielding its entries in order with their extended headers applied.
 * Throws on a bad header checksum, a truncated archive, or an extended header larger than
 * `options.maxExtendedHeaderBytes`.
 *
 * @example
 * for await (const entry of readTar(createReadStream('rootfs.tar'))) {
 *   if (entry.type === 'file') for await (const chunk of entry.content) hash.update(chunk);
 * }
 */
export async function* readTar(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: ReadTarOptions = {}): AsyncGenerator<TarReadEntry> {
  const maxExtended = options.maxExtendedHeaderBytes ?? MAX_EXTENDED_HEADER_BYTES;
  const bytes = new ByteSource(source);
  let global = new Map<string, string>();
  let local = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await bytes.read(BLOCK);
    if (block.length === 0) return;
    if (block.length < BLOCK) throw new Error('tar archive ends in the middle of a header');
    if (block.every((b) => b === 0)) return;
    if (!checksumOk(block)) throw new Error('tar header checksum mismatch: not a tar archive, or a damaged one');
    const typeflag = readString(block, 156, 1);
    let size = readNumber(block, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      // Extended headers are read whole: a hostile size must not make that unbounded.
      if (size > maxExtended) throw new Error(`tar extended header of ${size} bytes is larger than the ${maxExtended} allowed`);
      const data = await collect(bytes.pieces(padded));
      const body = data.subarray(0, size);
      if (typeflag === 'x') local = new Map([...local, ...parsePax(body)]);
      else if (typeflag === 'g') global = new Map([...global, ...parsePax(body)]);
      else if (typeflag === 'L') longName = readString(body, 0, body.length);
      else longLink = readString(body, 0, body.length);
      continue;
    }
    const pax = new Map([...global, ...local]);
    const magic = block.subarray(257, 262).toString('ascii');
    const prefix = magic === 'ustar' ? readString(block, 345, 155) : '';
    let path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${readString(block, 0, 100)}` : readString(block, 0, 100));
    const linkname = pax.get('linkpath') ?? longLink ?? readString(block, 157, 100);
    if (pax.has('size')) size = Number(pax.get('size'));
    const type = TYPES[typeflag] ?? (path.endsWith('/') ? 'directory' : 'other');
    if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '');
    const dataSize = type === 'file' || type === 'other' ? size : 0;
    const dataPadded = Math.ceil(dataSize / BLOCK) * BLOCK;
    let consumed = 0;
    const content = (async function* () {
      for await (const piece of bytes.pieces(dataSize)) {
        consumed += piece.length;
        yield piece;
      }
    })();
    yield {
      type,
      path,
      linkname,
      mode: readNumber(block, 100, 8) & 0o7777,
      uid: pax.has('uid') ? Number(pax.get('uid')) : readNumber(block, 108, 8),
      gid: pax.has('gid') ? Number(pax.get('gid')) : readNumber(block, 116, 8),
      uname: pax.get('uname') ?? readString(block, 265, 32),
      gname: pax.get('gname') ?? readString(block, 297, 32),
      size: dataSize,
      mtime: pax.has('mtime') ? Math.floor(Number(pax.get('mtime'))) : readNumber(block, 136, 12),
      typeflag,
      content,
    };
    // Skip what the caller left unread, then the padding.
    if (consumed < dataSize) for await (const piece of bytes.pieces(dataSize - consumed)) void piece;
    await bytes.read(dataPadded - dataSize);
    local = new Map();
    longName = undefined;
    longLink = undefined;
  }
}
