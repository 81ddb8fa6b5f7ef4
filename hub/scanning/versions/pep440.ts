/**
 * PyPI version ordering (PEP 440, https://packaging.python.org/en/latest/specifications/version-specifiers/),
 * through @renovatebot/pep440, a maintained port of the ordering in Python's `packaging`.
 */
import { compare, valid } from '@renovatebot/pep440';
import { InvalidVersionError } from './errors.ts';

const ECOSYSTEM = 'PyPI';

/**
 * Orders two PyPI versions by PEP 440: epoch, release numbers, then `.devN` < `aN` < `bN` <
 * `rcN` < release < `.postN`, and a local version (`+local`) above its public version.
 * Spellings PEP 440 normalises are equal (`1.0RC1` = `1.0rc1`, `1.0-1` = `1.0.post1`, `v1.0` = `1.0`);
 * surrounding whitespace, which PEP 440 also allows, is trimmed first.
 *
 * @returns a negative number when `a` sorts before `b`, 0 when they are equal, positive otherwise.
 * @throws {InvalidVersionError} for a string that is not a PEP 440 version (pip refuses those too).
 * @example
 * comparePep440('1.0.dev1', '1.0a1') < 0;   // true
 * comparePep440('1!0.1', '2.0') > 0;        // true: the epoch wins
 * comparePep440('1.0+ubuntu1', '1.0') > 0;  // true
 */
export function comparePep440(a: string, b: string): number {
  return Math.sign(compare(readable(a), readable(b)));
}

function readable(version: string): string {
  const trimmed = version.trim();
  // The library fails with an unhelpful TypeError on invalid input; check first.
  if (valid(trimmed) === null) throw new InvalidVersionError(version, ECOSYSTEM, 'not a PEP 440 version');
  return trimmed;
}
