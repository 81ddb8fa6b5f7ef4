/**
 * Which OSV ecosystem an installed package is matched in: the distribution release for OS
 * packages (`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04`), the registry for language packages.
 * Distribution advisories name source packages, so those are what OS packages are matched by.
 */
import type { InstalledPackage, OsInfo } from './analysers/types.ts';

/**
 * The OSV ecosystem `pkg` is matched in, or `undefined` when OSV does not cover it (an OS
 * package of a distribution it does not know, or of a release it cannot tell): such a package
 * is still listed, just never matched.
 *
 * @example
 * osvEcosystem({ type: 'deb', name: 'zlib1g', version: '1:1.2.13.dfsg-1', path: 'var/lib/dpkg/status' }, { id: 'debian', versionId: '12' }); // 'Debian:12'
 * osvEcosystem({ type: 'apk', name: 'musl', version: '1.2.4-r2', path: 'lib/apk/db/installed' }, { id: 'alpine', versionId: '3.19.1' }); // 'Alpine:v3.19'
 * osvEcosystem({ type: 'npm', name: 'lodash', version: '4.17.20', path: 'node_modules/lodash/package.json' }); // 'npm'
 */
export function osvEcosystem(pkg: Pick<InstalledPackage, 'type'>, os?: OsInfo): string | undefined {
  switch (pkg.type) {
    case 'deb':
      return debEcosystem(os);
    case 'apk': {
      if (os?.id !== 'alpine' || !os.versionId) return undefined;
      const [major, minor] = os.versionId.split('.');
      return major && minor ? `Alpine:v${major}.${minor}` : undefined;
    }
    case 'npm':
      return 'npm';
    case 'pypi':
      return 'PyPI';
    case 'gem':
      return 'RubyGems';
    case 'cargo':
      return 'crates.io';
    case 'golang':
      return 'Go';
    case 'maven':
      return 'Maven';
  }
}

function debEcosystem(os: OsInfo | undefined): string | undefined {
  if (!os?.versionId) return undefined;
  if (os.id === 'debian') {
    const major = os.versionId.split('.')[0];
    return major ? `Debian:${major}` : undefined;
  }
  if (os.id === 'ubuntu') return `Ubuntu:${os.versionId}`;
  return undefined;
}

/**
 * The name and version a package is matched by: the source package for distribution packages
 * (whose advisories name sources, e.g. `openssl` for `libssl3`), the package itself otherwise.
 *
 * @example
 * matchedAs({ type: 'deb', name: 'libssl3', version: '3.0.11-1~deb12u2+b1', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2' });
 * // { name: 'openssl', version: '3.0.11-1~deb12u2' }
 */
export function matchedAs(pkg: { type: string; name: string; version: string; sourceName?: string | null; sourceVersion?: string | null }): { name: string; version: string } {
  if (pkg.type !== 'deb' && pkg.type !== 'apk') return { name: pkg.name, version: pkg.version };
  return { name: pkg.sourceName || pkg.name, version: pkg.sourceVersion || pkg.version };
}

/**
 * A record's ecosystem as images are matched against it: OSV writes Ubuntu's long-term releases
 * with a `:LTS` suffix (`Ubuntu:22.04:LTS`), which an image's os-release never says, so the
 * suffix is dropped. Anything else (`Ubuntu:Pro:18.04:LTS` included: Pro packages are not in
 * ordinary images) stays as written.
 *
 * @example
 * matchableEcosystem('Ubuntu:22.04:LTS'); // 'Ubuntu:22.04'
 * matchableEcosystem('Debian:12');        // 'Debian:12'
 */
export function matchableEcosystem(recordEcosystem: string): string {
  const match = /^(Ubuntu:\d+\.\d+):LTS$/i.exec(recordEcosystem.trim());
  return match ? match[1]! : recordEcosystem;
}
