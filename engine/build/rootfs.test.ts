import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTarball, readRootfs, tarballCompression } from './rootfs.ts';
import { zstdStored } from '../../hub/oci/testing-archives.ts';
import { readTar } from '../../hub/oci/tar-reader.ts';
import { writeTar, type TarEntry } from './tar.ts';

/**
 * A real zstd stream (compressed blocks, not stored ones), made once with `zstd -19` from a tar
 * of `etc/` (0755), `etc/hello.txt` ("hello zstd\n" 300 times, 0644) and `hello -> etc/hello.txt`,
 * so that the test needs no zstd tool on the machine.
 */
const ZSTD_FIXTURE = Buffer.from(
  'KLUv/WQAF80DAJIEDxGg7XDoP/8dAPy+1YYGQQjHFCU8LROS0gFrWcOGm2SWMBvEjJq2gO81N1a37z6qlvMnfMtB+3PSfqxuARQA/fOmgimgAlA4Bw8gDANyKVSWABg49VrT5et/CQAMqBzIBIADDhDTnwPqgDflFyXcA8CgAGA8gTcPVk1Y',
  'base64',
);
/** The sha256 of the tar inside {@link ZSTD_FIXTURE}. */
const ZSTD_FIXTURE_TAR_SHA256 = 'eeaead9b1ee5fbc6eac0e7645fae25b679312820f738261ca645eb7591c2c8a9';

/** The bytes of a tar of `entries`, as the repository's writer makes it. */
async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A file entry holding `content`. */
function file(path: string, content: Buffer, mode = 0o644): TarEntry {
  return { type: 'file', path, mode, size: content.length, open: async function* () { yield content; } };
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function hasZstdTool(): boolean {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-rootfs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tarballCompression', () => {
  it('tells gzip, zstd and plain tar apart by their first bytes, whatever the name', async () => {
    const tar = await tarOf([file('a', Buffer.from('a'))]);
    const cases: [string, Buffer, string][] = [
      ['plain.tar.gz', tar, 'none'],
      ['gzipped.tar', gzipSync(tar), 'gzip'],
      ['zstd.tar.gz', zstdStored(tar), 'zstd'],
      ['short', Buffer.from([0x28, 0xb5]), 'none'],
      ['empty', Buffer.alloc(0), 'none'],
    ];
    for (const [name, bytes, expected] of cases) {
      await writeFile(join(dir, name), bytes);
      expect([name, await tarballCompression(join(dir, name))]).toEqual([name, expected]);
    }
  });
});

describe('openTarball with zstd', () => {
  it('decompresses a real zstd-compressed tar (compressed blocks)', async () => {
    const path = join(dir, 'fixture.tar.zst');
    await writeFile(path, ZSTD_FIXTURE);
    expect(sha256(await drain(await openTarball(path)))).toBe(ZSTD_FIXTURE_TAR_SHA256);
    const seen: string[] = [];
    for await (const entry of readTar(await openTarball(path))) {
      const content: Buffer[] = [];
      for await (const piece of entry.content) content.push(piece);
      seen.push(`${entry.type} ${entry.path} ${entry.mode.toString(8)} ${entry.linkname} ${Buffer.concat(content).toString().length}`);
    }
    expect(seen).toEqual(['directory etc 755  0', 'file etc/hello.txt 644  3300', 'symlink hello 777 etc/hello.txt 0']);
  });

  it('streams a tar spread over many frames and blocks, byte for byte', async () => {
    // Incompressible content over several 128 KiB blocks, so chunk, block and frame edges all differ.
    const big = Buffer.alloc(700_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const tar = await tarOf([file('big', big), file('small', Buffer.from('small\n')), { type: 'directory', path: 'd', mode: 0o700 }]);
    const path = join(dir, 'layer');
    await writeFile(path, zstdStored(tar, 250_000));
    expect(sha256(await drain(await openTarball(path)))).toBe(sha256(tar));
  });

  it('reads a zstd root filesystem tarball into entries', async () => {
    const path = join(dir, 'rootfs.tar.zst');
    await writeFile(path, zstdStored(await tarOf([file('bin/tool', Buffer.from('#!/bin/sh\n'), 0o755)])));
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const { entries, notes } = await readRootfs(path, spool);
    expect(notes).toEqual([]);
    expect(entries.map((e) => [e.type, e.path, e.mode])).toEqual([['file', 'bin/tool', 0o755]]);
  });

  it('fails on a zstd stream cut short, and on a missing file', async () => {
    const path = join(dir, 'cut.tar.zst');
    await writeFile(path, ZSTD_FIXTURE.subarray(0, ZSTD_FIXTURE.length - 20));
    await expect(drain(await openTarball(path))).rejects.toThrow();
    await expect(openTarball(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it.skipIf(!hasZstdTool())('agrees with the zstd tool on a larger tarball (long window)', async () => {
    const text = Buffer.from('a line of a text file in a layer\n'.repeat(60_000));
    const noise = Buffer.alloc(300_000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 40503) >>> 8;
    const tar = await tarOf([file('text', text), file('noise', noise), file('text-again', text)]);
    const plain = join(dir, 'big.tar');
    await writeFile(plain, tar);
    execFileSync('zstd', ['-q', '-19', '--long=27', plain, '-o', `${plain}.zst`]);
    expect(await tarballCompression(`${plain}.zst`)).toBe('zstd');
    expect(sha256(await drain(await openTarball(`${plain}.zst`)))).toBe(sha256(await readFile(plain)));
  });
});
