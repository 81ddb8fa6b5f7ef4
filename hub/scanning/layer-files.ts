/**
 * The files a scan needs from an image, read straight from its layer streams: never extracted
 * to disk, only the files analysers want kept in memory, OCI whiteouts and opaque directories
 * applied across layers, each layer's uncompressed bytes checked against its diffID. A hostile
 * layer (names that climb out or hold NUL, absolute names, a tar bomb, too many entries) stops
 * the scan with a {@link HostileLayerError} naming the layer and why; nothing outside the
 * layer is ever read, since there is no file system underneath, only this virtual root.
 */
import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { compressionOf, decompressor, MAGIC_LENGTH } from '../oci/compression.ts';
import { readTar, type TarReadEntry } from '../oci/tar-reader.ts';
import { EXTRACTORS } from './analysers/index.ts';

/** A layer to read: its digests and a way to stream its (compressed) bytes. */
export interface LayerSource {
  digest: string;
  /** The digest of the uncompressed tar, from the image config's `rootfs.diff_ids`. */
  diffId: string;
  open(): Promise<AsyncIterable<Uint8Array>>;
}

/** How much a scan reads at most, so that no layer can exhaust the Hub. */
export interface ScanLimits {
  /** Tar entries per layer. */
  maxEntries: number;
  /** Bytes of one kept file (larger ones stop the scan at their header). */
  maxFileBytes: number;
  /** Uncompressed bytes of all layers together. */
  maxTotalBytes: number;
  /**
   * Bytes of a file read whole for extractors; larger ones are only streamed through the
   * extractors that can scan (see {@link FileExtractor.scanner}). At most `maxFileBytes`.
   */
  maxBufferedBytes?: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxEntries: 1_000_000, maxFileBytes: 64 * 1024 * 1024, maxTotalBytes: 32 * 1024 ** 3, maxBufferedBytes: 64 * 1024 * 1024 };

/** A layer that cannot be scanned safely, or that is not what the image says it is. */
export class HostileLayerError extends Error {
  constructor(
    readonly layer: string,
    reason: string,
  ) {
    super(`layer ${layer}: ${reason}`);
    this.name = 'HostileLayerError';
  }
}

/** A file kept for the analysers: its bytes and the index of the layer that last wrote it. */
export interface KeptFile {
  data: Buffer;
  layer: number;
  /** For an extract (`<path>#<extractor>`), the path of the file it was taken from. */
  extractedFrom?: string;
}

/**
 * Takes a small extract out of files too large or too widely scattered to keep whole, such as
 * the build info of a Go binary that could be anywhere in the image. The scanner reads one
 * such file at a time into memory, hands it to every extractor that wants it, keeps what they
 * return as `<path>#<name>` in {@link ImageFiles.files}, and lets the file go.
 *
 * @example
 * const elfComment: FileExtractor = {
 *   name: 'comment', magic: ELF_MAGIC,
 *   wants: (path, { mode, size }) => (mode & 0o111) !== 0 && size <= 64 * 1024 * 1024,
 *   extract: (data) => {
 *     const section = elfSection(data, '.comment');
 *     return section && Buffer.from(section);
 *   },
 * };
 */
export interface FileExtractor {
  /** Names the extract: it is kept as `<path>#<name>`. */
  name: string;
  /** The bytes a file must start with to be read at all (checked before it is buffered). */
  magic?: Buffer;
  /** Whether to read the regular file at `path`, from its tar header alone. */
  wants(path: string, header: { mode: number; size: number }): boolean;
  /** The extract to keep, a copy (not a view of `data`, which is reused), or `undefined`. */
  extract(data: Buffer, path: string): Buffer | undefined;
  /**
   * For a file too large to read whole: something fed its bytes in order (views, reused after
   * the call) that keeps only what it needs, and gives the extract at the end.
   */
  scanner?(path: string, size: number): { push(chunk: Buffer): void; finish(): Buffer | undefined };
}

/** A symbolic link: its target as stored and the index of the layer that wrote it. */
export interface KeptLink {
  target: string;
  layer: number;
}

/** What the scan saw of the image's final file system. */
export interface ImageFiles {
  /** Wanted files, by path relative to the root (`var/lib/dpkg/status`). */
  files: Map<string, KeptFile>;
  /** Every symbolic link, by path. */
  links: Map<string, KeptLink>;
}

/**
 * The index of the layer that last wrote the file at `path`: kept whole, or known by an
 * extract taken from it (a package found in a Go binary names the binary, whose build info is
 * kept as `<path>#go-buildinfo`).
 *
 * @example
 * fileLayer(image.files, 'usr/local/bin/app'); // 2, from 'usr/local/bin/app#go-buildinfo'
 */
export function fileLayer(files: ReadonlyMap<string, KeptFile>, path: string): number | undefined {
  const kept = files.get(path);
  if (kept) return kept.layer;
  for (const [key, file] of files) if (file.extractedFrom === path && key.startsWith(`${path}#`)) return file.layer;
  return undefined;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/**
 * A tar entry's path made relative to the virtual root, or a reason it is hostile: `..`
 * components, NUL bytes and absolute names are refused rather than cleaned, as no honest layer
 * writer produces them.
 */
function relativePath(path: string): { path: string } | { hostile: string } {
  if (path.includes('\0')) return { hostile: `an entry name holds a NUL byte (${JSON.stringify(path)})` };
  if (path.startsWith('/')) return { hostile: `an entry has an absolute name (${path})` };
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { hostile: `an entry name climbs out of the root (${path})` };
  return { path: parts.join('/') };
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

function isUnder(path: string, directory: string): boolean {
  return directory === '' || path === directory || path.startsWith(`${directory}/`);
}

/** The largest number of head bytes an extractor's magic can ask for. */
const MAX_MAGIC = 64;

/** What `extract` returns, or `undefined` if it throws: one odd file must not fail the scan of a whole image. */
function safely(extract: () => Buffer | undefined): Buffer | undefined {
  try {
    return extract();
  } catch {
    return undefined;
  }
}

/** Streams the file `entry` through the scanners of `extractors`; their extracts by synthetic path. */
async function scannedExtractsOf(entry: TarReadEntry, path: string, extractors: readonly FileExtractor[]): Promise<Map<string, Buffer>> {
  const extracts = new Map<string, Buffer>();
  const scanners = extractors.flatMap((extractor) => (extractor.scanner ? [{ extractor, scanner: extractor.scanner(path, entry.size) }] : []));
  let head = Buffer.alloc(0);
  let matching = scanners;
  for await (const chunk of entry.content) {
    if (head.length < MAX_MAGIC) {
      head = Buffer.concat([head, chunk.subarray(0, MAX_MAGIC)]);
      matching = matching.filter(({ extractor }) => !extractor.magic || head.length < extractor.magic.length || head.subarray(0, extractor.magic.length).equals(extractor.magic));
      if (matching.length === 0) return extracts;
    }
    for (const { scanner } of matching) scanner.push(chunk);
  }
  for (const { extractor, scanner } of matching) {
    if (extractor.magic && head.length < extractor.magic.length) continue;
    const extract = safely(() => scanner.finish());
    if (extract) extracts.set(`${path}#${extractor.name}`, extract);
  }
  return extracts;
}

/**
 * Reads the file `entry` for `extractors` and returns their extracts by synthetic path, or
 * nothing when its first bytes match no extractor's magic (then the rest is skipped unread).
 * `scratch` is one buffer reused for every such file, so only one is ever held.
 */
async function extractsOf(entry: TarReadEntry, path: string, extractors: readonly FileExtractor[], scratch: { buffer: Buffer }): Promise<Map<string, Buffer>> {
  const extracts = new Map<string, Buffer>();
  if (scratch.buffer.length < entry.size) scratch.buffer = Buffer.allocUnsafe(entry.size);
  const data = scratch.buffer.subarray(0, entry.size);
  let filled = 0;
  let matching = extractors;
  for await (const chunk of entry.content) {
    chunk.copy(data, filled);
    filled += chunk.length;
    if (filled - chunk.length < MAX_MAGIC) {
      const head = data.subarray(0, filled);
      matching = matching.filter((extractor) => !extractor.magic || (head.length < extractor.magic.length ? extractor.magic.subarray(0, head.length).equals(head) : head.subarray(0, extractor.magic.length).equals(extractor.magic)));
      if (matching.length === 0) return extracts;
    }
  }
  for (const extractor of matching) {
    if (extractor.magic && filled < extractor.magic.length) continue;
    const extract = safely(() => extractor.extract(data, path));
    if (extract) extracts.set(`${path}#${extractor.name}`, extract);
  }
  return extracts;
}

/**
 * Removes `path` and everything under it (a whiteout, or an entry replacing a directory); with
 * `below`, only what is under `path` and came from layers below that one (an opaque directory).
 */
function hide(image: ImageFiles, path: string, below?: number): void {
  for (const map of [image.files, image.links]) {
    for (const [key, value] of map) {
      // An extract goes with the file it came from.
      if (!isUnder('extractedFrom' in value && value.extractedFrom !== undefined ? value.extractedFrom : key, path)) continue;
      if (below !== undefined && (key === path || value.layer >= below)) continue;
      map.delete(key);
    }
  }
}

/** The uncompressed tar stream of a layer, hashed as it goes by. */
async function* uncompressed(source: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>, count: (n: number) => void): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  // The first bytes tell the compression; they are put back in front of the rest.
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < MAGIC_LENGTH) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(Buffer.from(next.value));
    headLength += next.value.length;
  }
  const first = Buffer.concat(head);
  const rest = async function* () {
    yield first;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  };
  // pipeline, not pipe: when the reader stops early, the source is destroyed too (its file or socket closed).
  const compression = compressionOf(first);
  // Larger output chunks than zlib's 16 KiB: far fewer round trips to the thread pool (about 1.5x faster).
  const stream = pipeline(Readable.from(rest()), compression === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : decompressor(compression), () => undefined);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    count(chunk.length);
    yield chunk;
  }
}

/**
 * Reads `layers` in order and returns the wanted files of the resulting file system, with all
 * symbolic links, and the extracts `extractors` took from regular files (by default those of
 * the analysers: Go build info and cargo-auditable dependency lists of ELF executables, Java
 * archives' libraries). A file over `limits.maxBufferedBytes` (or `maxFileBytes`) is never held:
 * only extractors with a scanner see it, a chunk at a time. Throws a {@link HostileLayerError}
 * for a hostile layer, a layer over the limits, or one whose uncompressed digest is not its
 * diffID.
 *
 * @example
 * const { files } = await readImageFiles(layers, (path) => path === 'etc/os-release');
 * files.get('etc/os-release')?.data.toString();
 * files.get('usr/local/bin/app#go-buildinfo'); // the build info of a Go binary, if it is one
 */
export async function readImageFiles(
  layers: readonly LayerSource[],
  wants: (path: string) => boolean,
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
  extractors: readonly FileExtractor[] = EXTRACTORS,
): Promise<ImageFiles> {
  const image: ImageFiles = { files: new Map(), links: new Map() };
  // A real file named like an extract must not pass for one.
  const extractSuffixes = extractors.map((extractor) => `#${extractor.name}`);
  const keeps = (path: string) => wants(path) && !extractSuffixes.some((suffix) => path.endsWith(suffix));
  const scratch = { buffer: Buffer.alloc(0) };
  let total = 0;
  for (const [index, layer] of layers.entries()) {
    const hash = createHash('sha256');
    const count = (n: number) => {
      total += n;
      if (total > limits.maxTotalBytes) throw new HostileLayerError(layer.digest, `the image is larger than ${limits.maxTotalBytes} bytes uncompressed`);
    };
    const opaque: string[] = [];
    let entries = 0;
    try {
      for await (const entry of readTar(uncompressed(await layer.open(), hash, count))) {
        if (++entries > limits.maxEntries) throw new HostileLayerError(layer.digest, `more than ${limits.maxEntries} entries`);
        const relative = relativePath(entry.path);
        if ('hostile' in relative) throw new HostileLayerError(layer.digest, relative.hostile);
        const { path } = relative;
        if (path === '') continue;
        const name = path.slice(path.lastIndexOf('/') + 1);
        if (name === OPAQUE) {
          opaque.push(parentOf(path));
          continue;
        }
        if (name.startsWith(WHITEOUT)) {
          const hidden = name.slice(WHITEOUT.length);
          if (hidden !== '' && hidden !== '.' && hidden !== '..') hide(image, parentOf(path) === '' ? hidden : `${parentOf(path)}/${hidden}`);
          continue;
        }
        // An entry replaces whatever stood at its path (and below it, unless both are directories).
        if (entry.type !== 'directory') hide(image, path);
        else {
          image.files.delete(path);
          image.links.delete(path);
          for (const suffix of extractSuffixes) image.files.delete(`${path}${suffix}`);
        }
        if (entry.type === 'symlink') image.links.set(path, { target: entry.linkname, layer: index });
        else if (entry.type === 'hardlink') {
          const target = relativePath(entry.linkname);
          const kept = 'path' in target ? image.files.get(target.path) : undefined;
          if (kept && keeps(path)) image.files.set(path, { data: kept.data, layer: index });
          const source = 'path' in target ? target.path : undefined;
          for (const suffix of source === undefined ? [] : extractSuffixes) {
            const extract = image.files.get(`${source}${suffix}`);
            if (extract) image.files.set(`${path}${suffix}`, { data: extract.data, layer: index, extractedFrom: path });
          }
        } else if (entry.type === 'file' && keeps(path)) {
          if (entry.size > limits.maxFileBytes) throw new HostileLayerError(layer.digest, `${path} is ${entry.size} bytes, more than the ${limits.maxFileBytes} a scanned file may be`);
          const chunks: Buffer[] = [];
          for await (const chunk of entry.content) chunks.push(chunk);
          image.files.set(path, { data: Buffer.concat(chunks), layer: index });
        } else if (entry.type === 'file') {
          const header = { mode: entry.mode, size: entry.size };
          const interested = extractors.filter((extractor) => extractor.wants(path, header));
          if (interested.length === 0) continue;
          const whole = entry.size <= Math.min(limits.maxFileBytes, limits.maxBufferedBytes ?? limits.maxFileBytes);
          const extracts = whole ? await extractsOf(entry, path, interested, scratch) : await scannedExtractsOf(entry, path, interested);
          for (const [extractPath, data] of extracts) image.files.set(extractPath, { data, layer: index, extractedFrom: path });
        }
        // Devices, FIFOs and directories hold nothing an analyser reads.
      }
    } catch (err) {
      if (err instanceof HostileLayerError) throw err;
      throw new HostileLayerError(layer.digest, `not a readable layer: ${(err as Error).message}`);
    }
    // Opaque directories hide what lower layers put there, whatever order the markers came in.
    for (const directory of opaque) hide(image, directory, index);
    const diffId = `sha256:${hash.digest('hex')}`;
    if (diffId !== layer.diffId) throw new HostileLayerError(layer.digest, `its uncompressed digest is ${diffId}, but the image config says ${layer.diffId}`);
  }
  return image;
}
