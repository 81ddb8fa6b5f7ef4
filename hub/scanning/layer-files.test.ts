import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { rawTar, type RawEntry, ustarHeader, zstdStored } from '../oci/testing-archives.ts';
import { testElf, testGoBuildInfo } from './binary/testing-elf.ts';
import { DEFAULT_SCAN_LIMITS, fileLayer, type FileExtractor, HostileLayerError, type LayerSource, readImageFiles } from './layer-files.ts';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A layer of `entries`, compressed as asked, served in small chunks as storage would. */
function layer(entries: RawEntry[], compression: 'gzip' | 'zstd' | 'none' = 'gzip', diffId?: string): LayerSource {
  const tar = rawTar(entries);
  const bytes = compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? zstdStored(tar) : tar;
  return {
    digest: sha256(bytes),
    diffId: diffId ?? sha256(tar),
    async open() {
      return (async function* () {
        for (let at = 0; at < bytes.length; at += 1000) yield bytes.subarray(at, at + 1000);
      })();
    },
  };
}

const wanted = (path: string) => path.endsWith('.txt') || path === 'var/lib/dpkg/status';

async function files(layers: LayerSource[]): Promise<Record<string, string>> {
  const image = await readImageFiles(layers, wanted);
  return Object.fromEntries([...image.files].map(([path, file]) => [path, `${file.data.toString()}@${file.layer}`]));
}

describe('readImageFiles', () => {
  it('keeps only wanted files, from gzip, zstd and plain layers, the upper layer winning', async () => {
    const result = await files([
      layer([{ path: 'etc', type: '5' }, { path: 'etc/a.txt', content: 'one' }, { path: 'etc/skip.bin', content: 'x' }, { path: 'var/lib/dpkg/status', content: 'Package: a' }]),
      layer([{ path: 'etc/a.txt', content: 'two' }, { path: 'b.txt', content: 'b' }], 'zstd'),
      layer([{ path: './c.txt', content: 'c' }], 'none'),
    ]);
    expect(result).toEqual({ 'etc/a.txt': 'two@1', 'var/lib/dpkg/status': 'Package: a@0', 'b.txt': 'b@1', 'c.txt': 'c@2' });
  });

  it('applies whiteouts and opaque directories across layers, in either order of marker and entries', async () => {
    const result = await files([
      layer([{ path: 'gone.txt', content: 'x' }, { path: 'dir/old.txt', content: 'old' }, { path: 'keep/a.txt', content: 'a' }, { path: 'other/x.txt', content: 'x' }]),
      layer([{ path: '.wh.gone.txt' }, { path: 'dir/new.txt', content: 'new' }, { path: 'dir/.wh..wh..opq' }, { path: 'other/.wh..wh..opq' }, { path: 'other/y.txt', content: 'y' }]),
    ]);
    expect(result).toEqual({ 'dir/new.txt': 'new@1', 'keep/a.txt': 'a@0', 'other/y.txt': 'y@1' });
  });

  it('records symbolic links, a file over a directory hides what was under it, a hard link copies its target', async () => {
    const image = await readImageFiles(
      [
        layer([{ path: 'etc/os.txt', content: 'os' }, { path: 'lib/x.txt', content: 'x' }]),
        layer([{ path: 'lib', content: 'now a file' }, { path: 'etc/os-link.txt', type: '2', linkname: '../usr/lib/os.txt' }, { path: 'etc/hard.txt', type: '1', linkname: 'etc/os.txt' }]),
      ],
      wanted,
    );
    expect([...image.files.keys()].sort()).toEqual(['etc/hard.txt', 'etc/os.txt']);
    expect(image.files.get('etc/hard.txt')?.data.toString()).toBe('os');
    expect(image.links.get('etc/os-link.txt')).toEqual({ target: '../usr/lib/os.txt', layer: 1 });
  });

  it.each([
    ['../escape.txt', 'climbs out of the root'],
    ['a/../../escape.txt', 'climbs out of the root'],
    ['/etc/passwd', 'absolute name'],
    ['nul\u0000.txt', 'NUL byte'],
  ])('stops at a hostile name: %j', async (path, reason) => {
    // A PAX path: a ustar name field would end at the NUL.
    const hostile = layer([{ path: 'ok.txt', content: 'ok' }, { path: 'innocent', pax: { path }, content: 'x' }]);
    await expect(readImageFiles([hostile], wanted)).rejects.toThrow(new RegExp(`^layer ${hostile.digest}: .*${reason}`));
  });

  it('stops a tar bomb at its header, and counts entries and total bytes', async () => {
    const bomb = layer([{ path: 'big.txt', content: 'x'.repeat(5000) }]);
    await expect(readImageFiles([bomb], wanted, { ...DEFAULT_SCAN_LIMITS, maxFileBytes: 4096 })).rejects.toThrow('big.txt is 5000 bytes, more than the 4096 a scanned file may be');
    const many = layer(Array.from({ length: 20 }, (_, i) => ({ path: `f${i}` })));
    await expect(readImageFiles([many], wanted, { ...DEFAULT_SCAN_LIMITS, maxEntries: 10 })).rejects.toThrow('more than 10 entries');
    await expect(readImageFiles([bomb], wanted, { ...DEFAULT_SCAN_LIMITS, maxTotalBytes: 2048 })).rejects.toThrow('larger than 2048 bytes uncompressed');
  });

  it('refuses a layer whose uncompressed digest is not its diffID, and one that is no tar', async () => {
    const wrong = layer([{ path: 'a.txt', content: 'a' }], 'gzip', `sha256:${'0'.repeat(64)}`);
    await expect(readImageFiles([wrong], wanted)).rejects.toThrow(`its uncompressed digest is sha256:`);
    const garbage: LayerSource = { digest: 'sha256:junk', diffId: 'sha256:junk', open: async () => [Buffer.from('this is no tar archive at all, not even close'.repeat(20))] as unknown as AsyncIterable<Uint8Array> };
    await expect(readImageFiles([garbage], wanted)).rejects.toBeInstanceOf(HostileLayerError);
  });

  describe('extractors', () => {
    /** A gzip layer of files with binary contents, which rawTar's text contents cannot hold. */
    function binaryLayer(entries: (RawEntry & { data?: Buffer })[]): LayerSource {
      const parts: Buffer[] = [];
      for (const { data = Buffer.alloc(0), ...entry } of entries) parts.push(ustarHeader(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
      const tar = Buffer.concat([...parts, Buffer.alloc(1024)]);
      const bytes = gzipSync(tar);
      return { digest: sha256(bytes), diffId: sha256(tar), open: async () => (async function* () {
        for (let at = 0; at < bytes.length; at += 1000) yield bytes.subarray(at, at + 1000);
      })() };
    }
    // The build info at a 16-byte boundary (64 + 5008), as the Go linker places it.
    const goBinary = testElf({ sections: [{ name: '.text', data: Buffer.alloc(5008, 0x90) }, { name: '.go.buildinfo', data: testGoBuildInfo('go1.21.3', 'path\tx/cmd\n') }] });
    const rustBinary = testElf({ sections: [{ name: '.dep-v0', data: deflateSync('{"packages":[{"name":"serde","version":"1.0.0","source":"crates.io"}]}') }] });

    it('keeps the default extracts of executables by synthetic path, with their layer, and nothing of other files', async () => {
      const image = await readImageFiles(
        [
          binaryLayer([
            { path: 'usr/bin/go-app', mode: 0o755, data: goBinary },
            { path: 'usr/bin/rust-app', mode: 0o755, data: rustBinary },
            { path: 'usr/share/not-executable', mode: 0o644, data: goBinary },
            { path: 'usr/bin/script', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
            { path: 'gone', mode: 0o755, data: goBinary },
            { path: 'dir', mode: 0o755, data: goBinary },
            // A real file named like an extract is not one.
            { path: 'fake#go-buildinfo', data: testGoBuildInfo('go1.0.0', '') },
          ]),
          binaryLayer([{ path: '.wh.gone' }, { path: 'usr/bin/hard', type: '1', linkname: 'usr/bin/go-app' }, { path: 'dir', type: '5' }]),
        ],
        wanted,
      );
      expect([...image.files.keys()].sort()).toEqual(['usr/bin/go-app#go-buildinfo', 'usr/bin/hard#go-buildinfo', 'usr/bin/rust-app#cargo-auditable']);
      expect(image.files.get('usr/bin/go-app#go-buildinfo')).toEqual({ data: testGoBuildInfo('go1.21.3', 'path\tx/cmd\n'), layer: 0, extractedFrom: 'usr/bin/go-app' });
      expect(image.files.get('usr/bin/hard#go-buildinfo')).toMatchObject({ layer: 1, extractedFrom: 'usr/bin/hard' });
      expect([fileLayer(image.files, 'usr/bin/hard'), fileLayer(image.files, 'usr/bin/rust-app'), fileLayer(image.files, 'usr/bin/script')]).toEqual([1, 0, undefined]);
    });

    it('streams a file over maxBufferedBytes through the extractors that can scan, and no others', async () => {
      const image = await readImageFiles(
        [binaryLayer([{ path: 'usr/bin/go-app', mode: 0o755, data: goBinary }, { path: 'usr/bin/rust-app', mode: 0o755, data: rustBinary }])],
        wanted,
        { ...DEFAULT_SCAN_LIMITS, maxBufferedBytes: 100 },
      );
      expect([...image.files.keys()]).toEqual(['usr/bin/go-app#go-buildinfo']);
      expect(image.files.get('usr/bin/go-app#go-buildinfo')?.data.equals(testGoBuildInfo('go1.21.3', 'path\tx/cmd\n'))).toBe(true);
    });

    it('reads each file once for all extractors that want it, skips files whose magic differs or are over the limit', async () => {
      const seen: string[] = [];
      const sized = (name: string, magic?: Buffer): FileExtractor => ({
        name,
        magic,
        wants: (path) => path.startsWith('bin/'),
        extract(data, path) {
          seen.push(`${name}:${path}`);
          return Buffer.from(String(data.length));
        },
      });
      const image = await readImageFiles(
        [binaryLayer([{ path: 'bin/a', data: Buffer.from('MAGIC and more') }, { path: 'bin/b', data: Buffer.from('other') }, { path: 'bin/big', data: Buffer.alloc(5000) }, { path: 'bin/empty' }])],
        () => false,
        { ...DEFAULT_SCAN_LIMITS, maxFileBytes: 4096 },
        [sized('any'), sized('magic', Buffer.from('MAGIC')), { name: 'throws', wants: () => true, extract: () => { throw new Error('odd file'); } }],
      );
      expect(seen).toEqual(['any:bin/a', 'magic:bin/a', 'any:bin/b', 'any:bin/empty']);
      expect(Object.fromEntries([...image.files].map(([path, file]) => [path, file.data.toString()]))).toEqual({ 'bin/a#any': '14', 'bin/a#magic': '14', 'bin/b#any': '5', 'bin/empty#any': '0' });
    });
  });
});
