import { describe, expect, it } from 'vitest';
import { dpkgAnalyser, sourceOf } from './dpkg.ts';

const STATUS = `Package: busybox
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 1040
Maintainer: Debian Busybox Team <busybox@packages.debian.org>
Architecture: amd64
Source: busybox
Version: 1:1.35.0-4+b3
Depends: libc6 (>= 2.34)
Description: Tiny utilities for small and embedded systems
 BusyBox combines tiny versions of many common UNIX utilities into a single
 small executable.
 .
 It provides minimalist replacements for the most common utilities.

Package: libfoo1
Status: install ok installed
Architecture: arm64
Source: foo (1.2-3)
Version: 1.2-3+deb12u1
Description: the foo library

Package: oldtool
Status: deinstall ok config-files
Architecture: amd64
Version: 0.9-1

Package: tzdata
Status: hold ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

describe('dpkgAnalyser', () => {
  it('wants the status file and status.d stanzas, not md5sums or other files', () => {
    expect(dpkgAnalyser.wants('var/lib/dpkg/status')).toBe(true);
    expect(dpkgAnalyser.wants('var/lib/dpkg/status.d/libc6')).toBe(true);
    expect(dpkgAnalyser.wants('var/lib/dpkg/status.d/libc6.md5sums')).toBe(false);
    expect(dpkgAnalyser.wants('var/lib/dpkg/status-old')).toBe(false);
    expect(dpkgAnalyser.wants('var/lib/dpkg/info/libc6.list')).toBe(false);
    expect(dpkgAnalyser.wants('srv/var/lib/dpkg/status')).toBe(false);
  });

  it('lists installed packages from the status file', () => {
    const packages = dpkgAnalyser.analyse(new Map([['var/lib/dpkg/status', Buffer.from(STATUS)]]));
    expect(packages).toEqual([
      { type: 'deb', name: 'busybox', version: '1:1.35.0-4+b3', sourceName: 'busybox', sourceVersion: '1:1.35.0-4', arch: 'amd64', path: 'var/lib/dpkg/status' },
      { type: 'deb', name: 'libfoo1', version: '1.2-3+deb12u1', sourceName: 'foo', sourceVersion: '1.2-3', arch: 'arm64', path: 'var/lib/dpkg/status' },
      { type: 'deb', name: 'tzdata', version: '2024a-0+deb12u1', sourceName: 'tzdata', sourceVersion: '2024a-0+deb12u1', arch: 'all', path: 'var/lib/dpkg/status' },
    ]);
  });

  it('lists distroless status.d packages, which have no Status field', () => {
    const files = new Map([
      ['var/lib/dpkg/status.d/libc6', Buffer.from('Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n')],
      ['var/lib/dpkg/status.d/libc6.md5sums', Buffer.from('0123abcd  lib/x86_64-linux-gnu/libc.so.6\n')],
      ['var/lib/dpkg/status.d/base-files', Buffer.from('Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n')],
    ]);
    expect(dpkgAnalyser.analyse(files)).toEqual([
      { type: 'deb', name: 'libc6', version: '2.36-9+deb12u4', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4', arch: 'amd64', path: 'var/lib/dpkg/status.d/libc6' },
      { type: 'deb', name: 'base-files', version: '12.4+deb12u5', sourceName: 'base-files', sourceVersion: '12.4+deb12u5', arch: 'amd64', path: 'var/lib/dpkg/status.d/base-files' },
    ]);
  });

  it('skips stanzas without a name or version', () => {
    expect(dpkgAnalyser.analyse(new Map([['var/lib/dpkg/status', Buffer.from('Package: x\nStatus: install ok installed\n')]]))).toEqual([]);
  });
});

describe('sourceOf', () => {
  it('takes the source name and version from Source:', () => {
    expect(sourceOf('libfoo1', '1.2-3+b1', 'foo (1.2-3)')).toEqual({ name: 'foo', version: '1.2-3' });
  });

  it('strips a binNMU suffix only when Source: has no version', () => {
    expect(sourceOf('busybox', '1:1.35.0-4+b3', 'busybox')).toEqual({ name: 'busybox', version: '1:1.35.0-4' });
    expect(sourceOf('bash', '5.2.15-2+b7', undefined)).toEqual({ name: 'bash', version: '5.2.15-2' });
    expect(sourceOf('libssl3', '3.0.11-1~deb12u2', undefined)).toEqual({ name: 'libssl3', version: '3.0.11-1~deb12u2' });
  });
});
