/**
 * Debian package version ordering, as `dpkg --compare-versions` does it: `[epoch:]upstream[-revision]`,
 * the epoch compared as a number, then upstream and revision each with dpkg's string ordering.
 */
import { InvalidVersionError } from './errors.ts';

/**
 * A parsed Debian version. `revision` is '' when the version has none.
 *
 * @example
 * const version: DpkgVersion = { epoch: 1, upstream: '2.36', revision: '9+deb12u4' }; // 1:2.36-9+deb12u4
 */
export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** dpkg keeps epochs in a C int. */
const MAX_EPOCH = 2 ** 31 - 1;

const ECOSYSTEM = 'Debian';

/**
 * Splits a Debian version into epoch, upstream version and revision, with dpkg's own checks.
 *
 * dpkg treats some defects only as warnings and still compares such versions: an upstream that
 * does not start with a digit, or characters outside dpkg's alphabet. So does this function, so
 * that ordering agrees with dpkg on every version dpkg itself would compare. What dpkg refuses
 * (empty, embedded spaces, bad or empty epoch, empty upstream or revision) throws.
 * Surrounding whitespace is ignored, as dpkg ignores it.
 *
 * @throws {InvalidVersionError} when dpkg would reject the version.
 * @example
 * parseDpkgVersion('1:2.36-9+deb12u4'); // { epoch: 1, upstream: '2.36', revision: '9+deb12u4' }
 * parseDpkgVersion('1.0');              // { epoch: 0, upstream: '1.0', revision: '' }
 */
export function parseDpkgVersion(text: string): DpkgVersion {
  const fail = (reason: string): never => {
    throw new InvalidVersionError(text, ECOSYSTEM, reason);
  };
  const version = text.trim();
  if (version === '') fail('version string is empty');
  if (/\s/.test(version)) fail('version string has embedded spaces');

  let epoch = 0;
  let rest = version;
  const colon = version.indexOf(':');
  if (colon >= 0) {
    const epochText = version.slice(0, colon);
    // dpkg reads the epoch with strtol, which accepts a sign.
    if (!/^[+-]?\d/.test(epochText)) fail('epoch in version is empty');
    if (!/^[+-]?\d+$/.test(epochText)) fail('epoch in version is not number');
    const value = Number(epochText);
    if (value < 0) fail('epoch in version is negative');
    if (value > MAX_EPOCH) fail('epoch in version is too big');
    epoch = value === 0 ? 0 : value; // no -0
    rest = version.slice(colon + 1);
    if (rest === '') fail('nothing after colon in version number');
  }

  // The revision follows the last hyphen; upstream may itself contain hyphens.
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision === '') fail('revision number is empty');
  if (upstream === '') fail('version number is empty');
  return { epoch, upstream, revision };
}

/**
 * Orders two Debian versions exactly as dpkg does.
 *
 * @returns a negative number when `a` sorts before `b`, 0 when they are equal, positive otherwise.
 * @throws {InvalidVersionError} when either version is one dpkg would reject.
 * @example
 * compareDpkg('1.0~rc1', '1.0') < 0;     // true: `~` sorts before everything, even the end
 * compareDpkg('1:0.9', '2.0') > 0;       // true: the epoch wins
 * compareDpkg('1.0', '1.0-0') === 0;     // true: an absent revision is like '0'
 */
export function compareDpkg(a: string, b: string): number {
  const left = parseDpkgVersion(a);
  const right = parseDpkgVersion(b);
  if (left.epoch !== right.epoch) return left.epoch < right.epoch ? -1 : 1;
  return sign(compareDpkgPart(left.upstream, right.upstream)) || sign(compareDpkgPart(left.revision, right.revision));
}

/**
 * dpkg's ordering of one upstream version or revision: alternating runs of non-digits, compared
 * character by character with {@link characterWeight}, and digit runs, compared as numbers.
 */
function compareDpkgPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit run; a string that has ended weighs 0, like a digit.
    while ((i < a.length && !isDigit(a, i)) || (j < b.length && !isDigit(b, j))) {
      const difference = characterWeight(a, i) - characterWeight(b, j);
      if (difference !== 0) return difference;
      i++;
      j++;
    }
    // Digit run, compared numerically without ever building a number (runs can be long).
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDifference = 0;
    while (isDigit(a, i) && isDigit(b, j)) {
      if (firstDifference === 0) firstDifference = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a, i)) return 1;
    if (isDigit(b, j)) return -1;
    if (firstDifference !== 0) return firstDifference;
  }
  return 0;
}

/**
 * The weight of the character at `index` in dpkg's ordering: `~` below the end of the string,
 * the end (and digits, which never reach here) at 0, letters by their code, and every other
 * character after all letters.
 */
function characterWeight(text: string, index: number): number {
  if (index >= text.length) return 0;
  const code = text.charCodeAt(index);
  if (isDigit(text, index)) return 0;
  if (isAsciiLetter(code)) return code;
  if (text[index] === '~') return -1;
  return code + 256;
}

function isDigit(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 48 && code <= 57;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function sign(value: number): number {
  return value < 0 ? -1 : value > 0 ? 1 : 0;
}
