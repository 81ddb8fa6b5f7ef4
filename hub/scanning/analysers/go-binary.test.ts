import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testElf, testGoBuildInfo } from '../binary/testing-elf.ts';
import { goBinaryAnalyser, goBuildInfoExtractor } from './go-binary.ts';
import { analyseFiles, isScannedPath } from './index.ts';

const MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.2.3\th1:main=',
  'dep\tgithub.com/spf13/cobra\tv1.7.0\th1:cobra=',
  'dep\tgolang.org/x/net\tv0.10.0\th1:old=',
  '=>\tgithub.com/fork/net\tv0.17.0\th1:new=',
  'dep\texample.com/local\tv0.0.0',
  '=>\t../local\t',
  '',
].join('\n');

describe('goBinaryAnalyser', () => {
  it('lists the main module, dependencies as replaced, and the standard library, under the binary path', () => {
    const binary = testElf({ sections: [{ name: '.go.buildinfo', data: testGoBuildInfo('go1.21.3', MODINFO) }] });
    expect(goBuildInfoExtractor.wants('usr/bin/app', { mode: 0o755, size: binary.length })).toBe(true);
    expect(goBuildInfoExtractor.wants('usr/share/doc/x', { mode: 0o644, size: binary.length })).toBe(false);
    const blob = goBuildInfoExtractor.extract(binary, 'usr/bin/app') as Buffer;
    expect(goBinaryAnalyser.wants('usr/bin/app#go-buildinfo')).toBe(true);
    expect(goBinaryAnalyser.analyse(new Map([['usr/bin/app#go-buildinfo', blob]]))).toEqual([
      { type: 'golang', name: 'example.com/app', version: 'v1.2.3', path: 'usr/bin/app' },
      { type: 'golang', name: 'github.com/spf13/cobra', version: 'v1.7.0', path: 'usr/bin/app' },
      { type: 'golang', name: 'github.com/fork/net', version: 'v0.17.0', path: 'usr/bin/app' },
      { type: 'golang', name: 'stdlib', version: '1.21.3', path: 'usr/bin/app' },
    ]);
  });

  it('is run by analyseFiles over the extracts a scan kept', () => {
    const blob = testGoBuildInfo('go1.21.3', 'path\tx/cmd\nmod\tx\tv0.1.0\t\n');
    expect(isScannedPath('usr/bin/app#go-buildinfo')).toBe(true);
    expect(analyseFiles(new Map([['usr/bin/app#go-buildinfo', blob]]))).toEqual([
      { type: 'golang', name: 'x', version: 'v0.1.0', path: 'usr/bin/app' },
      { type: 'golang', name: 'stdlib', version: '1.21.3', path: 'usr/bin/app' },
    ]);
  });

  it('skips a (devel) main module and lists nothing for old or damaged build info', () => {
    const devel = testGoBuildInfo('go1.22.1', 'path\tx/cmd\nmod\tx\t(devel)\t\n');
    expect(goBinaryAnalyser.analyse(new Map([['app#go-buildinfo', devel]]))).toEqual([{ type: 'golang', name: 'stdlib', version: '1.22.1', path: 'app' }]);
    const old = Buffer.from(devel);
    old[15] = 0;
    expect(goBinaryAnalyser.analyse(new Map([['app#go-buildinfo', old], ['b#go-buildinfo', Buffer.from('junk')]]))).toEqual([]);
  });

  it.runIf(existsSync('/usr/local/bin/terraform'))('reads a real Go binary', () => {
    const blob = goBuildInfoExtractor.extract(readFileSync('/usr/local/bin/terraform'), 'usr/local/bin/terraform') as Buffer;
    expect(blob.length).toBeLessThan(64 * 1024);
    const found = goBinaryAnalyser.analyse(new Map([['usr/local/bin/terraform#go-buildinfo', blob]]));
    expect(found).toContainEqual({ type: 'golang', name: 'stdlib', version: expect.stringMatching(/^1\.\d+\.\d+$/), path: 'usr/local/bin/terraform' });
    expect(found.filter((pkg) => pkg.name.startsWith('golang.org/x/')).length).toBeGreaterThan(3);
  });
});
