/**
 * SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), as npm, crates.io and Go modules
 * order their versions. Go writes a leading `v`, and a Go pseudo-version such as
 * `v0.0.0-20210101120000-abcdef123456` is an ordinary prerelease, so both need nothing special.
 */
import { InvalidVersionError } from './errors.ts';
import { compareCodeUnits, compareDigitStrings } from './numeric.ts';

/**
 * A parsed semantic version; build metadata is dropped, as precedence ignores it. Numbers are
 * kept as digit strings.
 *
 * @example
 * const version: SemanticVersion = { major: '1', minor: '2', patch: '3', prerelease: ['rc', '1'] }; // 1.2.3-rc.1
 */
export interface SemanticVersion {
  major: string;
  minor: string;
  patch: string;
  prerelease: string[];
}

const NUMBER = '0|[1-9]\\d*';
const PRERELEASE_IDENTIFIER = `(?:${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_IDENTIFIER = '[0-9A-Za-z-]+';
/** The grammar of semver.org, with an optional leading `v`. */
const SEMVER_PATTERN = new RegExp(
  `^v?(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})` +
    `(?:-(${PRERELEASE_IDENTIFIER}(?:\\.${PRERELEASE_IDENTIFIER})*))?` +
    `(?:\\+${BUILD_IDENTIFIER}(?:\\.${BUILD_IDENTIFIER})*)?$`,
);

/**
 * Parses a semantic version, tolerating a leading `v`. Numbers stay digit strings: they have
 * no upper bound in SemVer, and Go pseudo-versions carry 14-digit timestamps.
 *
 * Strict like the spec: three numbers, no leading zeros in numeric identifiers, no empty
 * identifiers. `ecosystem` only names the source in the error.
 *
 * @throws {InvalidVersionError} for a string that is not SemVer 2.0.0.
 * @example
 * parseSemver('v1.2.3-rc.1+build.5'); // { major: '1', minor: '2', patch: '3', prerelease: ['rc', '1'] }
 */
export function parseSemver(version: string, ecosystem = 'SemVer'): SemanticVersion {
  const match = SEMVER_PATTERN.exec(version);
  if (!match) throw new InvalidVersionError(version, ecosystem, 'not a SemVer 2.0.0 version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])');
  const [, major = '', minor = '', patch = '', prerelease] = match;
  return { major, minor, patch, prerelease: prerelease === undefined ? [] : prerelease.split('.') };
}

/**
 * Orders two semantic versions by SemVer 2.0.0 precedence: numbers numerically, a release
 * above its prereleases, prerelease identifiers one by one (numeric below alphanumeric),
 * build metadata ignored, so `1.0.0+a` and `1.0.0+b` are equal.
 *
 * @returns a negative number when `a` has lower precedence than `b`, 0 when equal, positive otherwise.
 * @throws {InvalidVersionError} for a string that is not SemVer 2.0.0.
 * @example
 * compareSemver('1.0.0-alpha', '1.0.0-alpha.1') < 0;                        // true
 * compareSemver('v1.2.3', '1.2.3') === 0;                                   // true
 * compareSemver('v0.0.0-20210101120000-abcdef123456', 'v0.0.1') < 0;        // true
 */
export function compareSemver(a: string, b: string, ecosystem = 'SemVer'): number {
  const left = parseSemver(a, ecosystem);
  const right = parseSemver(b, ecosystem);
  return (
    compareDigitStrings(left.major, right.major) ||
    compareDigitStrings(left.minor, right.minor) ||
    compareDigitStrings(left.patch, right.patch) ||
    comparePrereleases(left.prerelease, right.prerelease)
  );
}

function comparePrereleases(a: string[], b: string[]): number {
  // A version without a prerelease outranks all of its prereleases.
  if (a.length === 0 || b.length === 0) return Math.sign(b.length - a.length);
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const order = compareIdentifiers(a[index] as string, b[index] as string);
    if (order !== 0) return order;
  }
  return Math.sign(a.length - b.length);
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return compareDigitStrings(a, b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return compareCodeUnits(a, b);
}
