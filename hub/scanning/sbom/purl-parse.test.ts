import { describe, expect, it } from 'vitest';
import type { InstalledPackage, OsInfo } from '../analysers/types.ts';
import { packageUrl } from '../purl.ts';
import { parsePurl } from './purl-parse.ts';

describe('parsePurl', () => {
  it('reads back what packageUrl writes, for every package type', () => {
    const cases: [InstalledPackage, OsInfo | undefined, Partial<ReturnType<typeof parsePurl>>][] = [
      [
        { type: 'deb', name: 'busybox', version: '1:1.35.0-4+b3', sourceName: 'busybox', sourceVersion: '1:1.35.0-4', arch: 'amd64', path: 'p' },
        { id: 'debian', versionId: '12' },
        { type: 'deb', namespace: 'debian', name: 'busybox', version: '1:1.35.0-4+b3', qualifiers: { arch: 'amd64', distro: 'debian-12', upstream: 'busybox@1:1.35.0-4' } },
      ],
      [{ type: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64', path: 'p' }, { id: 'alpine', versionId: '3.19.1' }, { namespace: 'alpine', name: 'musl', version: '1.2.4-r2' }],
      [{ type: 'npm', name: '@types/node', version: '20.11.5', path: 'p' }, undefined, { type: 'npm', namespace: '@types', name: 'node', version: '20.11.5' }],
      [{ type: 'pypi', name: 'Django_Rest', version: '3.0', path: 'p' }, undefined, { name: 'django-rest', version: '3.0' }],
      [{ type: 'golang', name: 'github.com/sirupsen/logrus', version: 'v1.9.3', path: 'p' }, undefined, { namespace: 'github.com/sirupsen', name: 'logrus', version: 'v1.9.3' }],
      [{ type: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1', path: 'p' }, undefined, { namespace: 'org.apache.logging.log4j', name: 'log4j-core' }],
      [{ type: 'gem', name: 'rack', version: '2.2.8', path: 'p' }, undefined, { type: 'gem', name: 'rack', version: '2.2.8', qualifiers: {} }],
      [{ type: 'cargo', name: 'serde', version: '1.0.0', path: 'p' }, undefined, { type: 'cargo', name: 'serde' }],
    ];
    for (const [pkg, os, expected] of cases) expect(parsePurl(packageUrl(pkg, os))).toMatchObject(expected);
  });

  it('follows the specification on the awkward parts', () => {
    // An unencoded scope stays in the namespace, with or without a version.
    expect(parsePurl('pkg:npm/@scope/name')).toEqual({ type: 'npm', namespace: '@scope', name: 'name', qualifiers: {} });
    expect(parsePurl('pkg:npm/@scope/name@1.0.0')).toMatchObject({ namespace: '@scope', name: 'name', version: '1.0.0' });
    expect(parsePurl('PKG:Maven/org.x/y@1?Classifier=sources&empty=#src/main/../java')).toEqual({
      type: 'maven',
      namespace: 'org.x',
      name: 'y',
      version: '1',
      qualifiers: { classifier: 'sources' },
      subpath: 'src/main/java',
    });
    expect(parsePurl('pkg:golang/golang.org/x/net%2Fhttp@v0.1.0')).toMatchObject({ namespace: 'golang.org/x', name: 'net/http' });
    expect(parsePurl('pkg:generic/thing%20with%20spaces@1%2B2')).toMatchObject({ name: 'thing with spaces', version: '1+2' });
  });

  it('refuses what is not a purl', () => {
    expect(() => parsePurl('npm/left-pad@1')).toThrow('does not start with pkg:');
    expect(() => parsePurl('pkg:npm')).toThrow('needs a type and a name');
    expect(() => parsePurl('pkg:npm/%E0%A4%A')).toThrow('bad percent-encoding');
    expect(() => parsePurl('pkg:9x/name')).toThrow('needs a type');
  });
});
