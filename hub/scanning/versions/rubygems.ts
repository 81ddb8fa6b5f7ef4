/**
 * RubyGems version ordering (Gem::Version#<=>), through @renovatebot/ruby-semver, a maintained
 * port of Gem::Version.
 */
import { gt, lt, valid } from '@renovatebot/ruby-semver';
import { InvalidVersionError } from './errors.ts';

const ECOSYSTEM = 'RubyGems';

/**
 * Orders two gem versions as Gem::Version does: segments split at '.' (and at digit/letter
 * changes), numbers numerically, a segment with letters making a prerelease that sorts below
 * the release (`1.0.a` < `1.0`), trailing zeros ignored (`1.0` = `1`), `-` read as `.pre.`.
 *
 * @returns -1, 0 or 1.
 * @throws {InvalidVersionError} for a string Gem::Version rejects (an empty string included:
 *   Ruby reads it as "0", but a package without a version is not something to match).
 * @example
 * compareRubyGems('1.0.0.rc1', '1.0.0') < 0; // true
 * compareRubyGems('1.0', '1.0.0') === 0;     // true
 * compareRubyGems('7.0.8.1', '7.0.8') > 0;   // true
 */
export function compareRubyGems(a: string, b: string): number {
  assertValid(a);
  assertValid(b);
  if (lt(a, b)) return -1;
  return gt(a, b) ? 1 : 0;
}

function assertValid(version: string): void {
  if (valid(version) === null) throw new InvalidVersionError(version, ECOSYSTEM, 'not a RubyGems version');
}
