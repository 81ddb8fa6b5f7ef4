import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from './analysers/types.ts';
import { packageUrl } from './purl.ts';

const pkg = (fields: Pick<InstalledPackage, 'type' | 'name' | 'version'> & Partial<InstalledPackage>): InstalledPackage => ({ path: 'somewhere', ...fields });

describe('packageUrl', () => {
  const bookworm = { id: 'debian', versionId: '12', versionCodename: 'bookworm' };

  it('names a binNMU deb with its upstream source version', () => {
    const busybox = pkg({ type: 'deb', name: 'busybox', version: '1:1.35.0-4+b3', sourceName: 'busybox', sourceVersion: '1:1.35.0-4', arch: 'amd64' });
    expect(packageUrl(busybox, bookworm)).toBe('pkg:deb/debian/busybox@1:1.35.0-4+b3?arch=amd64&distro=debian-12&upstream=busybox%401%3A1.35.0-4');
  });

  it('gives a deb upstream only when the source differs', () => {
    expect(packageUrl(pkg({ type: 'deb', name: 'libc6', version: '2.36-9', sourceName: 'glibc', sourceVersion: '2.36-9', arch: 'arm64' }), bookworm)).toBe(
      'pkg:deb/debian/libc6@2.36-9?arch=arm64&distro=debian-12&upstream=glibc',
    );
    expect(packageUrl(pkg({ type: 'deb', name: 'bash', version: '5.2.15-2', sourceName: 'bash', sourceVersion: '5.2.15-2' }), bookworm)).toBe(
      'pkg:deb/debian/bash@5.2.15-2?distro=debian-12',
    );
  });

  it('namespaces a deb by the distribution, and uses the codename when there is no version', () => {
    expect(packageUrl(pkg({ type: 'deb', name: 'bash', version: '5.2.21-2ubuntu4' }), { id: 'ubuntu', versionId: '24.04' })).toBe(
      'pkg:deb/ubuntu/bash@5.2.21-2ubuntu4?distro=ubuntu-24.04',
    );
    expect(packageUrl(pkg({ type: 'deb', name: 'bash', version: '5.2.37-1' }), { id: 'debian', versionCodename: 'trixie' })).toBe(
      'pkg:deb/debian/bash@5.2.37-1?distro=debian-trixie',
    );
    expect(packageUrl(pkg({ type: 'deb', name: 'bash', version: '5.2.37-1' }))).toBe('pkg:deb/debian/bash@5.2.37-1');
  });

  it('names an apk package', () => {
    const musl = pkg({ type: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64', sourceName: 'musl', sourceVersion: '1.2.4-r2' });
    expect(packageUrl(musl, { id: 'alpine', versionId: '3.19.1' })).toBe('pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1');
    const libcrypto = pkg({ type: 'apk', name: 'libcrypto3', version: '3.1.4-r5', arch: 'aarch64', sourceName: 'openssl', sourceVersion: '3.1.4-r5' });
    expect(packageUrl(libcrypto)).toBe('pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=aarch64&upstream=openssl');
  });

  it('puts an npm scope in the namespace, encoding its @', () => {
    expect(packageUrl(pkg({ type: 'npm', name: '@scope/name', version: '1.0.0' }))).toBe('pkg:npm/%40scope/name@1.0.0');
    expect(packageUrl(pkg({ type: 'npm', name: 'left-pad', version: '1.3.0' }))).toBe('pkg:npm/left-pad@1.3.0');
    // Grandfathered mixed-case names are distinct packages on npm, so their case is kept.
    expect(packageUrl(pkg({ type: 'npm', name: 'JSONStream', version: '1.3.5' }))).toBe('pkg:npm/JSONStream@1.3.5');
  });

  it('normalises PyPI names', () => {
    expect(packageUrl(pkg({ type: 'pypi', name: 'PyYAML_compat', version: '6.0.1' }))).toBe('pkg:pypi/pyyaml-compat@6.0.1');
  });

  it('names gems, crates, Go modules and Maven artifacts', () => {
    expect(packageUrl(pkg({ type: 'gem', name: 'rails', version: '7.1.2' }))).toBe('pkg:gem/rails@7.1.2');
    expect(packageUrl(pkg({ type: 'cargo', name: 'serde', version: '1.0.195' }))).toBe('pkg:cargo/serde@1.0.195');
    expect(packageUrl(pkg({ type: 'golang', name: 'github.com/sirupsen/logrus', version: 'v1.9.3' }))).toBe('pkg:golang/github.com/sirupsen/logrus@v1.9.3');
    expect(packageUrl(pkg({ type: 'golang', name: 'golang.org/x/net', version: 'v0.0.0-20240101000000-abcdef123456' }))).toBe(
      'pkg:golang/golang.org/x/net@v0.0.0-20240101000000-abcdef123456',
    );
    expect(packageUrl(pkg({ type: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1' }))).toBe(
      'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
    );
  });

  it('percent-encodes what the spec does not allow bare', () => {
    expect(packageUrl(pkg({ type: 'gem', name: 'odd name!', version: '1.0 beta/2' }))).toBe('pkg:gem/odd%20name%21@1.0%20beta%2F2');
    expect(packageUrl(pkg({ type: 'cargo', name: 'é', version: '1' }))).toBe('pkg:cargo/%C3%A9@1');
  });
});
