/**
 * A deterministic tar writer (POSIX ustar, with PAX extended headers for what ustar cannot
 * hold). Entries come out sorted by path, owned by 0:0 unless given, with empty user and group
 * names and mtimes clamped to SOURCE_DATE_EPOCH; file contents are streamed, never held whole.
 */
import { Buffer } from 'node:buffer';

/** What every kind of entry has. `path` is relative to the root, `/`-separated. */
interface EntryBase {
  path: string;
  /** Permission bits including setuid, setgid and sticky (`0o4755`). */
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; clamped to the writer's epoch. */
  mtime?: number;
}

/** A regular file whose `size` bytes come from `open()` when the entry is written. */
export interface FileEntry extends EntryBase {
  type: 'file';
  size: number;
  open(): AsyncIterable<Uint8Array>;
}
export interface DirectoryEntry extends EntryBase {
  type: 'directory';
}
export interface SymlinkEntry extends EntryBase {
  type: 'symlink';
  target: string;
}
/** A hard link to another entry of the same archive (`target` is that entry's path). */
export interface HardlinkEntry extends EntryBase {
  type: 'hardlink';
  target: string;
}
export type TarEntry = FileEntry | DirectoryEntry | SymlinkEntry | HardlinkEntry;

export interface TarWriteOptions {
  /** The latest mtime written, in seconds; defaults to 0 (the epoch). */
  sourceDateEpoch?: number;
}

const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/**
 * A path as written in the archive: no leading `/` or `./`, no empty or `.` components.
 * Throws on `..` components, which would point outside the root.
 *
 * @example
 * normalizeTarPath('./usr//bin/'); // 'usr/bin'
 */
export function normalizeTarPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`tar path "${path}" leaves the root`);
  return parts.join('/');
}

/**
 * {@link normalizeTarPath} for paths read from an archive: undefined (rather than a throw) for a
 * path that leaves the root, so that the reader can skip the entry with a note.
 *
 * @example
 * pathInsideRoot('../etc/passwd'); // undefined
 */
export function pathInsideRoot(path: string): string | undefined {
  try {
    return normalizeTarPath(path);
  } catch {
    return undefined;
  }
}

/** Sorts by the bytes of the UTF-8 path, so that a directory comes before what it holds. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The entries in archive order: paths normalized, sorted, later duplicates replacing earlier
 * ones; and a hard link always after the file it names (when sorting would put it first, the
 * two swap roles: the first path holds the content, the other links to it).
 *
 * @example
 * orderEntries([{ type: 'directory', path: 'b/', mode: 0o755 }, { type: 'directory', path: 'a', mode: 0o755 }]).map((e) => e.path); // ['a', 'b']
 */
export function orderEntries(entries: readonly TarEntry[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const entry of entries) {
    const path = normalizeTarPath(entry.path);
    if (path === '') continue;
    const normalized = entry.type === 'hardlink' ? { ...entry, path, target: normalizeTarPath(entry.target) } : { ...entry, path };
    byPath.set(path, normalized);
  }
  // Resolve link chains to the file, then let the smallest path of each group hold the content.
  const groups = new Map<string, string[]>();
  for (const entry of byPath.values()) {
    if (entry.type !== 'hardlink') continue;
    let target = entry.target;
    const seen = new Set<string>([entry.path]);
    for (let t = byPath.get(target); t?.type === 'hardlink'; t = byPath.get(target)) {
      if (seen.has(t.path)) throw new Error(`hard links loop at "${entry.path}"`);
      seen.add(t.path);
      target = t.target;
    }
    const file = byPath.get(target);
    if (!file || file.type === 'directory') throw new Error(`hard link "${entry.path}" names "${entry.target}", which is not a file of the archive`);
    const group = groups.get(target) ?? [target];
    group.push(entry.path);
    groups.set(target, group);
  }
  for (const [holder, members] of groups) {
    const file = byPath.get(holder);
    if (!file) continue;
    const first = [...members].sort(comparePaths)[0] ?? holder;
    if (first !== holder) byPath.set(first, { ...file, path: first });
    for (const member of members) {
      if (member === first) continue;
      const current = byPath.get(member) ?? file;
      byPath.set(member, { type: 'hardlink', path: member, target: first, mode: current.mode, uid: current.uid, gid: current.gid, mtime: current.mtime });
    }
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length - 1, value.toString(8).padStart(length - 1, '0'));
}

/** One PAX record, `"<len> key=value\n"`, its length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body, 'utf8');
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return `${length}${body}`;
}

interface Header {
  path: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
}

function fits(text: string, length: number): boolean {
  return Buffer.byteLength(text, 'utf8') <= length;
}

function ustarBlock(header: Header): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, header.path);
  writeOctal(block, 100, 8, header.mode);
  writeOctal(block, 108, 8, header.uid);
  writeOctal(block, 116, 8, header.gid);
  writeOctal(block, 124, 12, header.size);
  writeOctal(block, 136, 12, header.mtime);
  block.fill(' ', 148, 156);
  writeString(block, 156, 1, header.typeflag);
  writeString(block, 157, 100, header.linkname);
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The header blocks of one entry: a PAX header first when a value does not fit ustar. */
function headerBlocks(header: Header): Buffer[] {
  const records: string[] = [];
  let { path, linkname, size, uid, gid } = header;
  if (!fits(path, 100)) {
    records.push(paxRecord('path', path));
    path = Buffer.from(path, 'utf8').subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '');
  }
  if (!fits(linkname, 100)) {
    records.push(paxRecord('linkpath', linkname));
    linkname = Buffer.from(linkname, 'utf8').subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '');
  }
  if (size > MAX_OCTAL_11) {
    records.push(paxRecord('size', String(size)));
    size = 0;
  }
  if (uid > MAX_OCTAL_7) {
    records.push(paxRecord('uid', String(uid)));
    uid = 0;
  }
  if (gid > MAX_OCTAL_7) {
    records.push(paxRecord('gid', String(gid)));
    gid = 0;
  }
  const main = ustarBlock({ ...header, path, linkname, size, uid, gid });
  if (records.length === 0) return [main];
  const pax = Buffer.from(records.join(''), 'utf8');
  const paxName = `PaxHeaders/${Buffer.from(header.path.split('/').pop() ?? '', 'utf8').subarray(0, 80).toString('utf8').replace(/\uFFFD+$/, '')}`;
  const paxHeader = ustarBlock({ path: paxName, typeflag: 'x', mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: header.mtime, linkname: '' });
  return [paxHeader, pax, padding(pax.length), main];
}

const TYPEFLAG: Record<TarEntry['type'], string> = { file: '0', hardlink: '1', symlink: '2', directory: '5' };

/**
 * Writes a tar archive of `entries` (see {@link orderEntries} for the order), streaming each
 * file's content from its `open()`; a file whose content is not exactly `size` bytes is an error.
 *
 * @example
 * const tar = Readable.from(writeTar([{ type: 'file', path: 'hello', mode: 0o644, size: 2, open: async function* () { yield Buffer.from('hi'); } }]));
 */
export async function* writeTar(entries: readonly TarEntry[], options: TarWriteOptions = {}): AsyncGenerator<Buffer> {
  const epoch = options.sourceDateEpoch ?? 0;
  for (const entry of orderEntries(entries)) {
    for (const [field, value] of [['uid', entry.uid ?? 0], ['gid', entry.gid ?? 0], ['mode', entry.mode]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`"${entry.path}" has an invalid ${field}: ${value}`);
    }
    if (entry.type === 'file' && (!Number.isSafeInteger(entry.size) || entry.size < 0)) throw new Error(`"${entry.path}" has an invalid size: ${entry.size}`);
    const mtime = Math.max(0, Math.min(Math.floor(entry.mtime ?? epoch), epoch));
    const size = entry.type === 'file' ? entry.size : 0;
    const linkname = entry.type === 'symlink' || entry.type === 'hardlink' ? entry.target : '';
    const path = entry.type === 'directory' ? `${entry.path}/` : entry.path;
    yield* headerBlocks({ path, typeflag: TYPEFLAG[entry.type], mode: entry.mode & 0o7777, uid: entry.uid ?? 0, gid: entry.gid ?? 0, size, mtime, linkname });
    if (entry.type !== 'file') continue;
    let written = 0;
    for await (const chunk of entry.open()) {
      written += chunk.length;
      if (written > size) throw new Error(`"${entry.path}" grew while being archived: more than ${size} bytes`);
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    if (written !== size) throw new Error(`"${entry.path}" has ${written} bytes, expected ${size}`);
    yield padding(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}
