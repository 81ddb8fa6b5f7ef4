import { describe, expect, it } from 'vitest';
import { apkAnalyser } from './apk.ts';

const INSTALLED = `C:Q1SJG5S2C8LYGKfQP7ld6d5x5yT0g=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700000000
c:0123456789abcdef
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1abc=

C:Q1xyz=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
F:usr/lib
R:libcrypto.so.3

C:Q1noversion=
P:broken
`;

describe('apkAnalyser', () => {
  it('wants only the installed database', () => {
    expect(apkAnalyser.wants('lib/apk/db/installed')).toBe(true);
    expect(apkAnalyser.wants('lib/apk/db/triggers')).toBe(false);
    expect(apkAnalyser.wants('usr/lib/apk/db/installed')).toBe(false);
  });

  it('lists packages with arch, origin and licence', () => {
    expect(apkAnalyser.analyse(new Map([['lib/apk/db/installed', Buffer.from(INSTALLED)]]))).toEqual([
      { type: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64', sourceName: 'musl', sourceVersion: '1.2.4-r2', licenses: ['MIT'], path: 'lib/apk/db/installed' },
      { type: 'apk', name: 'libcrypto3', version: '3.1.4-r5', arch: 'x86_64', sourceName: 'openssl', sourceVersion: '3.1.4-r5', licenses: ['Apache-2.0'], path: 'lib/apk/db/installed' },
    ]);
  });

  it('is empty without a database', () => {
    expect(apkAnalyser.analyse(new Map())).toEqual([]);
  });
});
