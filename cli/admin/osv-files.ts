/**
 * OSV exports on disk as lines for an import: a directory of record files, one `.json` file, or
 * a `.zip` such as OSV's per-ecosystem `all.zip` (one JSON file per record). Files are read one
 * at a time and the zip one entry at a time, so that memory holds one record, whatever the size
 * of the export. Each record is re-serialised onto one line of JSON.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { MAX_RECORD_BYTES } from '../../hub/client/vulndb.ts';
import { UsageError } from '../usage.ts';

/** A file or zip entry that was not sent, and why. */
export interface OsvFileProblem {
  file: string;
  reason: string;
}

/** The records of an export as lines, with what could not be read. */
export interface OsvLines {
  /** One JSON record a line (no newline), in file order. */
  lines: AsyncGenerator<string>;
  /** Filled while `lines` is read: files and entries skipped. */
  problems: OsvFileProblem[];
  /** The file (or `zip:entry`) line `number` (from 1) came from, once it was read. */
  fileOfLine(number: number): string | undefined;
}

/** Every `*.json` file below `dir`, sorted by path. */
async function jsonFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.json'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The record(s) of one file's text: a JSON object, or a list of them. */
function recordsOf(text: string): unknown[] {
  const json: unknown = JSON.parse(text);
  return Array.isArray(json) ? json : [json];
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

/** The entries of a zip, one at a time: the next is read only when the consumer asks for it. */
async function* zipEntries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  // Kept from the start: an error between two reads must not be an unhandled 'error' event.
  let failure: Error | undefined;
  let waiting: { resolve: (entry: yauzl.Entry | undefined) => void; reject: (err: Error) => void } | undefined;
  zip.on('entry', (entry: yauzl.Entry) => waiting?.resolve(entry));
  zip.on('end', () => waiting?.resolve(undefined));
  zip.on('error', (err: Error) => {
    failure = err;
    waiting?.reject(err);
  });
  for (;;) {
    if (failure) throw failure;
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      waiting = { resolve, reject };
      zip.readEntry();
    });
    waiting = undefined;
    if (!entry) return;
    yield entry;
  }
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The records under `path` as NDJSON lines. Throws a UsageError when `path` is none of a
 * directory, a `.json` file or a `.zip`; a file that is not JSON or is larger than
 * `maxRecordBytes` is skipped and listed in `problems`.
 *
 * @example
 * const source = await readOsvLines('osv/Debian/all.zip');
 * const result = await importVulnerabilities(client, source.lines, 'all.zip');
 * source.problems; // [{ file: 'all.zip:DSA-1-1.json', reason: 'not JSON: …' }]
 */
export async function readOsvLines(path: string, maxRecordBytes = MAX_RECORD_BYTES): Promise<OsvLines> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${path} (${err.code ?? err.message})`);
  });
  const problems: OsvFileProblem[] = [];
  const files: string[] = [];
  const tooLarge = (size: number) => `${size} bytes, more than the ${maxRecordBytes} a record may take`;

  /** The lines of one file's text, or none (with a problem) when it is not JSON or too large. */
  function* linesOf(file: string, text: string): Generator<string> {
    let records: unknown[];
    try {
      records = recordsOf(text);
    } catch (err) {
      problems.push({ file, reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    for (const record of records) {
      const line = JSON.stringify(record);
      const size = Buffer.byteLength(line);
      if (size > maxRecordBytes) {
        problems.push({ file, reason: tooLarge(size) });
        continue;
      }
      files.push(file);
      yield line;
    }
  }

  async function* fromFiles(paths: string[], base: string): AsyncGenerator<string> {
    for (const file of paths) {
      const name = relative(base, file) || basename(file);
      const { size } = await stat(file);
      if (size > maxRecordBytes) problems.push({ file: name, reason: tooLarge(size) });
      else yield* linesOf(name, await readFile(file, 'utf8'));
    }
  }

  async function* fromZip(): AsyncGenerator<string> {
    const zip = await openZip(path).catch((err: Error) => {
      throw new UsageError(`${path} is not a zip archive that can be read: ${err.message}`);
    });
    const archive = basename(path);
    try {
      for await (const entry of zipEntries(zip)) {
        if (entry.fileName.endsWith('/') || !entry.fileName.toLowerCase().endsWith('.json')) continue;
        const name = `${archive}:${entry.fileName}`;
        if (entry.uncompressedSize > maxRecordBytes) problems.push({ file: name, reason: tooLarge(entry.uncompressedSize) });
        else yield* linesOf(name, await readEntry(zip, entry));
      }
    } finally {
      zip.close();
    }
  }

  let lines: AsyncGenerator<string>;
  if (info.isDirectory()) {
    const found = await jsonFilesUnder(path);
    if (found.length === 0) throw new UsageError(`there are no .json files under ${path}`);
    lines = fromFiles(found, path);
  } else if (path.toLowerCase().endsWith('.zip')) {
    lines = fromZip();
  } else if (path.toLowerCase().endsWith('.json')) {
    lines = fromFiles([path], join(path, '..'));
  } else {
    throw new UsageError(`${path}: expected a directory of OSV records, a .json file or a .zip such as OSV's all.zip`);
  }
  return { lines, problems, fileOfLine: (number) => files[number - 1] };
}
