import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rawTar, type RawEntry, zstdStored } from '../oci/testing-archives.ts';
import { DEFAULT_SCAN_LIMITS, HostileLayerError, type LayerSource, readImageFiles } from './layer-files.ts';

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
});
