import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar, type TarReadEntry } from '../../hub/oci/tar-reader.ts';
import { normalizeTarPath, orderEntries, writeTar, type TarEntry } from './tar.ts';

const file = (path: string, text: string, mode = 0o644, extra: Partial<TarEntry> = {}): TarEntry => ({
  type: 'file',
  path,
  mode,
  size: Buffer.byteLength(text),
  open: () => Readable.from([Buffer.from(text)]),
  ...extra,
} as TarEntry);

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function roundTrip(entries: TarEntry[], epoch?: number): Promise<{ entry: TarReadEntry; text: string }[]> {
  const tar = await collect(writeTar(entries, { sourceDateEpoch: epoch }));
  expect(tar.length % 512).toBe(0);
  const out: { entry: TarReadEntry; text: string }[] = [];
  // Feed it back in odd-sized pieces to exercise the reader's buffering.
  const pieces = (async function* () {
    for (let i = 0; i < tar.length; i += 333) yield tar.subarray(i, i + 333);
  })();
  for await (const entry of readTar(pieces)) out.push({ entry, text: (await collect(entry.content)).toString() });
  return out;
}

describe('tar writer and reader', () => {
  it('round-trips files, directories, symlinks, hard links and modes, sorted by path', async () => {
    const read = await roundTrip([
      file('usr/bin/tool', 'binary', 0o4755),
      { type: 'directory', path: 'usr/', mode: 0o755 },
      { type: 'directory', path: 'usr/bin', mode: 0o755 },
      { type: 'directory', path: 'tmp', mode: 0o1777 },
      { type: 'symlink', path: 'bin', mode: 0o777, target: 'usr/bin' },
      { type: 'hardlink', path: 'usr/bin/alias', mode: 0o4755, target: 'usr/bin/tool' },
      file('./etc/hosts', '127.0.0.1 localhost\n', 0o644, { uid: 1000, gid: 100, mtime: 1_700_000_000 }),
      file('empty', ''),
    ]);
    expect(read.map((r) => [r.entry.path, r.entry.type, r.entry.mode.toString(8)])).toEqual([
      ['bin', 'symlink', '777'],
      ['empty', 'file', '644'],
      ['etc/hosts', 'file', '644'],
      ['tmp', 'directory', '1777'],
      ['usr', 'directory', '755'],
      ['usr/bin', 'directory', '755'],
      ['usr/bin/alias', 'file', '4755'],
      ['usr/bin/tool', 'hardlink', '4755'],
    ]);
    const byPath = new Map(read.map((r) => [r.entry.path, r]));
    expect(byPath.get('bin')?.entry.linkname).toBe('usr/bin');
    // The link sorted before its file: the first path holds the content, the other links to it.
    expect(byPath.get('usr/bin/alias')?.text).toBe('binary');
    expect(byPath.get('usr/bin/tool')?.entry.linkname).toBe('usr/bin/alias');
    const hosts = byPath.get('etc/hosts')?.entry;
    expect(hosts).toMatchObject({ uid: 1000, gid: 100, uname: '', gname: '', mtime: 0 });
    expect(byPath.get('etc/hosts')?.text).toBe('127.0.0.1 localhost\n');
    expect(byPath.get('empty')?.entry).toMatchObject({ uid: 0, gid: 0 });
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH', async () => {
    const read = await roundTrip([file('old', 'a', 0o644, { mtime: 100 }), file('new', 'b', 0o644, { mtime: 5000 }), file('unset', 'c')], 1000);
    expect(read.map((r) => [r.entry.path, r.entry.mtime])).toEqual([['new', 1000], ['old', 100], ['unset', 1000]]);
  });

  it('uses PAX headers for long names and long link targets', async () => {
    const long = `${'deep/'.repeat(40)}name-${'é'.repeat(30)}.txt`;
    const target = `${'t'.repeat(150)}/target`;
    const read = await roundTrip([file(long, 'long'), { type: 'symlink', path: 'link', mode: 0o777, target }]);
    expect(read.map((r) => r.entry.path)).toEqual([long, 'link']);
    expect(read[0]?.text).toBe('long');
    expect(read[1]?.entry.linkname).toBe(target);
  });

  it('reads GNU long names and skips unread content', async () => {
    // A GNU ././@LongLink entry built by hand, followed by the real header.
    const name = 'g/'.repeat(80) + 'file';
    const header = (path: string, type: string, size: number): Buffer => {
      const b = Buffer.alloc(512);
      b.write(path, 0, 100);
      b.write('0000644\0', 100);
      b.write('0000000\0', 108);
      b.write('0000000\0', 116);
      b.write(size.toString(8).padStart(11, '0') + '\0', 124);
      b.write('00000000000\0', 136);
      b.fill(' ', 148, 156);
      b.write(type, 156);
      b.write('ustar  \0', 257);
      let sum = 0;
      for (const x of b) sum += x;
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      return b;
    };
    const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
    const archive = Buffer.concat([
      header('././@LongLink', 'L', name.length + 1),
      pad(Buffer.from(name + '\0')),
      header(name.slice(0, 99), '0', 5),
      pad(Buffer.from('hello')),
      header('second', '0', 3),
      pad(Buffer.from('abc')),
      Buffer.alloc(1024),
    ]);
    const paths: string[] = [];
    let second = '';
    for await (const entry of readTar([archive])) {
      paths.push(entry.path);
      if (entry.path === 'second') second = (await collect(entry.content)).toString();
    }
    expect(paths).toEqual([name, 'second']);
    expect(second).toBe('abc');
  });

  it('refuses a file whose content does not match its size, and paths leaving the root', async () => {
    await expect(collect(writeTar([{ ...file('x', 'abc'), size: 5 } as TarEntry]))).rejects.toThrow('has 3 bytes, expected 5');
    expect(() => normalizeTarPath('a/../../etc')).toThrow('leaves the root');
    expect(normalizeTarPath('/./a//b/')).toBe('a/b');
  });

  it('keeps the last of duplicate paths and rejects dangling hard links', () => {
    expect(orderEntries([file('a', '1'), file('./a', '22')]).map((e) => (e.type === 'file' ? e.size : -1))).toEqual([2]);
    expect(() => orderEntries([{ type: 'hardlink', path: 'a', mode: 0o644, target: 'missing' }])).toThrow('not a file of the archive');
  });

  it('rejects a damaged header', async () => {
    const tar = await collect(writeTar([file('a', 'x')]));
    tar[0] = 0x41;
    await expect(collect((async function* () { for await (const e of readTar([tar])) yield Buffer.from(e.path); })())).rejects.toThrow('checksum');
  });
});

describe('tar sizes and owners beyond ustar', () => {
  it('writes a PAX size for files of 8 GiB and more, and big uids, which the reader applies', async () => {
    const huge = 8 * 1024 ** 3;
    const entry: TarEntry = { type: 'file', path: 'big', mode: 0o644, uid: 0o10000000, size: huge, open: async function* () {} };
    const blocks: Buffer[] = [];
    for await (const chunk of writeTar([entry])) {
      blocks.push(chunk);
      if (blocks.length === 4) break; // PAX header, PAX records, padding, ustar header
    }
    const pax = blocks[1]?.toString() ?? '';
    expect(pax).toContain(` size=${huge}\n`);
    expect(pax).toContain(` uid=${0o10000000}\n`);
    for (const record of pax.split('\n').filter(Boolean)) expect(Buffer.byteLength(record) + 1).toBe(Number(record.split(' ')[0]));
    const reader = readTar([Buffer.concat(blocks)]);
    const first = await reader.next();
    expect(first.value).toMatchObject({ path: 'big', size: huge, uid: 0o10000000 });
    await expect(reader.next()).rejects.toThrow('ends in the middle of an entry');
  });

  it('reads GNU base-256 numbers', async () => {
    const tar = await collect(writeTar([file('n', 'xyz')]));
    // Size 3 in base-256: marker bit, then big-endian.
    tar.fill(0, 124, 136);
    tar[124] = 0x80;
    tar[135] = 3;
    let sum = 0;
    tar.fill(' ', 148, 156);
    for (let i = 0; i < 512; i++) sum += tar[i] ?? 0;
    tar.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const entries: [string, number, string][] = [];
    for await (const e of readTar([tar])) entries.push([e.path, e.size, (await collect(e.content)).toString()]);
    expect(entries).toEqual([['n', 3, 'xyz']]);
  });

  it('refuses negative owners and sizes', async () => {
    await expect(collect(writeTar([file('x', 'a', 0o644, { uid: -1 })]))).rejects.toThrow('invalid uid');
  });
});
