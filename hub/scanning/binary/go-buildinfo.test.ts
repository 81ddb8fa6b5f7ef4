import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goBuildInfoBlob, GoBuildInfoScanner, parseGoBuildInfo, stdlibVersion } from './go-buildinfo.ts';
import { testElf, testGoBuildInfo } from './testing-elf.ts';

const MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.2.3\th1:main=',
  'dep\tgithub.com/spf13/cobra\tv1.7.0\th1:cobra=',
  'dep\tgolang.org/x/net\tv0.10.0\th1:old=',
  '=>\tgolang.org/x/net\tv0.17.0\th1:new=',
  'build\tGOOS=linux',
  '',
].join('\n');

describe('Go build info', () => {
  it('reads the inline format from the .go.buildinfo section, copied out of the binary', () => {
    const info = testGoBuildInfo('go1.21.3', MODINFO);
    const binary = testElf({ sections: [{ name: '.text', data: Buffer.alloc(1000, 0x90) }, { name: '.go.buildinfo', data: Buffer.concat([info, Buffer.alloc(64)]) }] });
    const blob = goBuildInfoBlob(binary);
    // A copy: the scanner reuses the binary's buffer for the next file.
    binary.fill(0);
    expect(blob?.equals(info)).toBe(true);
    expect(parseGoBuildInfo(blob as Buffer)).toEqual({
      goVersion: 'go1.21.3',
      path: 'example.com/app/cmd/app',
      main: { path: 'example.com/app', version: 'v1.2.3', sum: 'h1:main=' },
      deps: [
        { path: 'github.com/spf13/cobra', version: 'v1.7.0', sum: 'h1:cobra=' },
        { path: 'golang.org/x/net', version: 'v0.10.0', sum: 'h1:old=', replacement: { path: 'golang.org/x/net', version: 'v0.17.0', sum: 'h1:new=' } },
      ],
    });
  });

  it('finds the blob at a 16-byte boundary when there are no section headers, and not elsewhere', () => {
    const info = testGoBuildInfo('go1.22.0', 'path\tx\n');
    expect(goBuildInfoBlob(Buffer.concat([Buffer.alloc(48), info]))?.equals(info)).toBe(true);
    expect(goBuildInfoBlob(Buffer.concat([Buffer.alloc(40), info]))).toBeUndefined();
    // An ELF file with sections but no .go.buildinfo is not Go, whatever its data holds.
    expect(goBuildInfoBlob(testElf({ sections: [{ name: '.rodata', data: info }], padding: 0 }))).toBeUndefined();
  });

  it('recognises the pointer format of old toolchains and damaged blobs without throwing', () => {
    const old = testGoBuildInfo('go1.16', '');
    old[15] = 0;
    expect(parseGoBuildInfo(goBuildInfoBlob(Buffer.concat([old, Buffer.alloc(64)])) as Buffer)).toEqual({ unsupported: 'build info in the pointer format of Go before 1.18' });
    const info = testGoBuildInfo('go1.21.3', MODINFO);
    for (let length = 0; length < info.length; length += 5) expect(() => parseGoBuildInfo(info.subarray(0, length))).not.toThrow();
    expect(goBuildInfoBlob(info.subarray(0, info.length - 1))).toBeUndefined();
  });

  it.each([
    ['go1.21.3', '1.21.3'],
    ['go1.20', '1.20.0'],
    ['go1.22rc1', '1.22.0-rc.1'],
    ['go1.21.3 X:boringcrypto', '1.21.3'],
    ['devel go1.23-abcdef Tue', undefined],
    ['', undefined],
  ])('stdlib version of %j is %j', (goVersion, expected) => {
    expect(stdlibVersion(goVersion)).toBe(expected);
  });

  it.runIf(existsSync('/usr/local/bin/terraform'))('reads a real Go binary with modules', () => {
    const info = parseGoBuildInfo(goBuildInfoBlob(readFileSync('/usr/local/bin/terraform')) as Buffer);
    expect(info).toMatchObject({ goVersion: expect.stringMatching(/^go1\.\d+/), path: 'github.com/hashicorp/terraform' });
    expect('deps' in info && info.deps.length).toBeGreaterThan(50);
  });

  it.runIf(existsSync('/usr/bin/oras'))('reads a real Go binary built without module info', () => {
    const info = parseGoBuildInfo(goBuildInfoBlob(readFileSync('/usr/bin/oras')) as Buffer);
    expect(info).toMatchObject({ goVersion: expect.stringMatching(/^go1\.\d+/), path: 'oras.land/oras/cmd/oras' });
  });
});

describe('GoBuildInfoScanner', () => {
  function scan(data: Buffer, chunkSize: number): Buffer | undefined {
    const scanner = new GoBuildInfoScanner();
    for (let at = 0; at < data.length; at += chunkSize) {
      // The scanner gets views of a buffer that is overwritten afterwards, as tar content is.
      const chunk = Buffer.from(data.subarray(at, at + chunkSize));
      scanner.push(chunk);
      chunk.fill(0);
    }
    return scanner.finish();
  }

  it('finds the last aligned build info in any chunking, past stray copies of the magic', () => {
    const info = testGoBuildInfo('go1.21.3', MODINFO);
    const stray = Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.alloc(18)]);
    const binary = Buffer.concat([Buffer.alloc(3), stray, Buffer.alloc(13), stray, Buffer.alloc(16), info, Buffer.alloc(100)]);
    expect(binary.indexOf(info) % 16).toBe(0);
    for (const chunkSize of [1, 5, 13, 14, 16, 100, 4096]) expect(scan(binary, chunkSize)?.equals(info), `chunks of ${chunkSize}`).toBe(true);
    // Cut short, the blob is not taken; with nothing after the magic, neither.
    expect(scan(binary.subarray(0, binary.indexOf(info) + 40), 7)).toBeUndefined();
    expect(scan(Buffer.alloc(10_000), 1000)).toBeUndefined();
  });

  it.runIf(existsSync('/usr/bin/cosign'))('streams a real binary to the same blob as reading it whole', () => {
    const binary = readFileSync('/usr/bin/cosign');
    expect(scan(binary, 256 * 1024)?.equals(goBuildInfoBlob(binary) as Buffer)).toBe(true);
  });
});
