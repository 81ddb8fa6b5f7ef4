/**
 * Version orderings of the OSV ecosystems (https://ossf.github.io/osv-schema/#affectedpackage-field),
 * so OSV ranges (`introduced`, `fixed`, `last_affected`) can be evaluated against installed packages.
 */
import { compareApk } from './apk.ts';
import { compareDpkg } from './dpkg.ts';
import { InvalidVersionError } from './errors.ts';
import { compareMaven } from './maven.ts';
import { comparePep440 } from './pep440.ts';
import { compareRubyGems } from './rubygems.ts';
import { compareSemver } from './semver.ts';

export { compareApk } from './apk.ts';
export { compareDpkg, parseDpkgVersion, type DpkgVersion } from './dpkg.ts';
export { InvalidVersionError } from './errors.ts';
export { compareMaven } from './maven.ts';
export { comparePep440 } from './pep440.ts';
export { compareRubyGems } from './rubygems.ts';
export { compareSemver, parseSemver, type SemanticVersion } from './semver.ts';

/**
 * Orders two versions: negative, 0 or positive, like `Array.prototype.sort` expects.
 *
 * @example
 * const byVersion: VersionComparator = compareDpkg;
 * ['1.0', '1.0~rc1'].sort(byVersion); // ['1.0~rc1', '1.0']
 */
export type VersionComparator = (a: string, b: string) => number;

/** Orderings by the ecosystem name before any ':' suffix. */
const COMPARATORS: ReadonlyMap<string, VersionComparator> = new Map([
  ['Debian', compareDpkg],
  ['Ubuntu', compareDpkg],
  ['Alpine', compareApk],
  ['npm', compareSemver],
  ['crates.io', compareSemver],
  ['Go', compareSemver],
  ['Maven', compareMaven],
  ['PyPI', comparePep440],
  ['RubyGems', compareRubyGems],
]);

/**
 * The ecosystem without its release suffix, as OSV writes e.g. `Debian:12` or `Alpine:v3.19`.
 *
 * @example
 * ecosystemBase('Debian:12');          // 'Debian'
 * ecosystemBase('Ubuntu:22.04:LTS');   // 'Ubuntu'
 * ecosystemBase('npm');                // 'npm'
 */
export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

/**
 * The version ordering of an OSV ecosystem, or undefined for one without a known ordering
 * (the caller must then not guess, e.g. fall back to exact `versions` lists). Names are
 * matched exactly, as OSV spells them. The comparator throws {@link InvalidVersionError}
 * naming `ecosystem` as given, so a message says "Debian:12" rather than "Debian".
 *
 * @example
 * const compare = versionComparator('Debian:12');
 * compare?.('2.36-9+deb12u3', '2.36-9+deb12u4'); // negative
 * versionComparator('Alpine:v3.19')?.('1.2.3_rc1', '1.2.3'); // negative
 * versionComparator('Hackage');                  // undefined
 */
export function versionComparator(ecosystem: string): VersionComparator | undefined {
  const compare = COMPARATORS.get(ecosystemBase(ecosystem));
  if (compare === undefined) return undefined;
  return (a, b) => {
    try {
      return compare(a, b);
    } catch (error) {
      if (error instanceof InvalidVersionError && error.ecosystem !== ecosystem) {
        throw new InvalidVersionError(error.version, ecosystem, error.reason);
      }
      throw error;
    }
  };
}
