import { describe, expect, it, vi } from 'vitest';
import { dpkgAnalyser } from './dpkg.ts';
import { analyseFiles, ANALYSERS, isScannedPath } from './index.ts';

describe('analyseFiles', () => {
  it('runs every analyser and lists each package once', () => {
    const files = new Map([
      ['etc/os-release', Buffer.from('ID=debian\nVERSION_ID="12"\n')],
      // The same package twice in one file: a duplicate stanza, listed once.
      ['var/lib/dpkg/status', Buffer.from('Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: a\nStatus: install ok installed\nVersion: 1\n')],
      ['lib/apk/db/installed', Buffer.from('P:musl\nV:1.2.4-r2\n')],
      ['app/node_modules/left-pad/package.json', Buffer.from('{"name":"left-pad","version":"1.3.0"}')],
      ['app/node_modules/other/node_modules/left-pad/package.json', Buffer.from('{"name":"left-pad","version":"1.3.0"}')],
      ['usr/lib/python3/dist-packages/six-1.16.0.egg-info', Buffer.from('Name: six\nVersion: 1.16.0\n')],
      ['usr/bin/busybox', Buffer.from('not a database')],
    ]);
    expect(analyseFiles(files).map(({ type, name, path }) => `${type}:${name}:${path}`)).toEqual([
      'deb:a:var/lib/dpkg/status',
      'apk:musl:lib/apk/db/installed',
      'npm:left-pad:app/node_modules/left-pad/package.json',
      'npm:left-pad:app/node_modules/other/node_modules/left-pad/package.json',
      'pypi:six:usr/lib/python3/dist-packages/six-1.16.0.egg-info',
    ]);
  });

  it('hands the analysers the os-release of the files unless given one', () => {
    const analyse = vi.spyOn(dpkgAnalyser, 'analyse');
    const files = new Map([['usr/lib/os-release', Buffer.from('ID=debian\nVERSION_CODENAME=trixie\n')]]);
    analyseFiles(files);
    expect(analyse).toHaveBeenLastCalledWith(files, { id: 'debian', versionCodename: 'trixie' });
    analyseFiles(files, { id: 'ubuntu', versionId: '24.04' });
    expect(analyse).toHaveBeenLastCalledWith(files, { id: 'ubuntu', versionId: '24.04' });
    analyse.mockRestore();
  });
});

describe('isScannedPath', () => {
  it('keeps what an analyser wants and os-release, nothing else', () => {
    expect(isScannedPath('etc/os-release')).toBe(true);
    expect(isScannedPath('var/lib/dpkg/status')).toBe(true);
    expect(isScannedPath('node_modules/x/package.json')).toBe(true);
    expect(isScannedPath('etc/passwd')).toBe(false);
  });
});
