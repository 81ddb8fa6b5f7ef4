/**
 * Maven version ordering, following the Version Order Specification of the POM reference
 * (https://maven.apache.org/pom.html#version-order-specification), which Maven's
 * ComparableVersion implements and which OSV's Maven ranges assume.
 */
import { compareCodeUnits, compareDigitStrings } from './numeric.ts';

/**
 * One token with the separator before it. Qualifiers always carry '-', because the
 * specification makes ".qualifier" equal "-qualifier".
 */
interface MavenToken {
  separator: '.' | '-';
  kind: 'number' | 'qualifier';
  /** Digits for a number; the lower-cased, de-aliased qualifier otherwise ('' is the release). */
  value: string;
}

/** Well-known qualifiers in ascending order; '' is a plain release. Unknown ones sort after all of these. */
const KNOWN_QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];

/** Qualifiers that mean the same as another. */
const QUALIFIER_ALIASES: ReadonlyMap<string, string> = new Map([
  ['cr', 'rc'],
  ['ga', ''],
  ['final', ''],
  ['release', ''],
]);

/** Single letters that abbreviate a qualifier when a number follows directly ("a1" is "alpha-1"). */
const SHORT_QUALIFIERS: ReadonlyMap<string, string> = new Map([
  ['a', 'alpha'],
  ['b', 'beta'],
  ['m', 'milestone'],
]);

/**
 * Orders two Maven versions.
 *
 * Tokens split at '.', '-' and digit/letter transitions (a transition counts as '-'); empty
 * tokens read as 0; trailing "null" tokens (0, '', ga, final, release) are trimmed at the end
 * and before every '-'. Tokens then compare in order, the shorter version padded with nulls:
 * qualifiers (alpha < beta < milestone < rc = cr < snapshot < release < sp < others, A–Z)
 * below '-number' below '.number'.
 *
 * Maven reads any string as a version (there is no invalid one), so this never throws either.
 *
 * @returns a negative number when `a` sorts before `b`, 0 when they are equal, positive otherwise.
 * @example
 * compareMaven('1.0-SNAPSHOT', '1.0') < 0;     // true
 * compareMaven('1-a1', '1-alpha-1') === 0;     // true
 * compareMaven('1.0.RC2', '1.0-RC3') < 0;      // true: '.qualifier' is '-qualifier'
 * compareMaven('2.0-1', '2.0.1') < 0;          // true: '-number' < '.number'
 */
export function compareMaven(a: string, b: string): number {
  const left = trimNulls(tokenizeMavenVersion(a));
  const right = trimNulls(tokenizeMavenVersion(b));
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index];
    const y = right[index];
    // The shorter version is padded with the null token matching the other's separator.
    const order = compareTokens(x ?? nullLike(y as MavenToken), y ?? nullLike(x as MavenToken));
    if (order !== 0) return order;
  }
  return 0;
}

/** Splits a version into separator-prefixed tokens, before trimming. */
function tokenizeMavenVersion(version: string): MavenToken[] {
  const text = version.toLowerCase();
  const tokens: MavenToken[] = [];
  let separator: '.' | '-' = '.';
  let start = 0;

  const finish = (end: number, nextSeparator: '.' | '-') => {
    const raw = text.slice(start, end);
    const digits = /^\d+$/.test(raw);
    if (raw === '' || digits) {
      tokens.push({ separator, kind: 'number', value: raw === '' ? '0' : raw });
    } else {
      const followedByDigit = isDigit(text[end]);
      const expanded = (followedByDigit && SHORT_QUALIFIERS.get(raw)) || raw;
      tokens.push({ separator: '-', kind: 'qualifier', value: QUALIFIER_ALIASES.get(expanded) ?? expanded });
    }
    separator = nextSeparator;
  };

  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '.' || character === '-') {
      finish(index, character);
      start = index + 1;
    } else if (index > start && isDigit(character) !== isDigit(text[index - 1])) {
      // A digit/letter transition separates like a hyphen.
      finish(index, '-');
      start = index;
    }
  }
  // The last token, '0' when the version ends with a separator or is empty.
  finish(text.length, separator);
  return tokens;
}

/**
 * Removes null tokens (0 and release qualifiers) at the end, then, walking back, before each
 * remaining '-' token: "1.0.0-foo.0.0" becomes "1-foo", "1-ga-1" becomes "1-1".
 */
function trimNulls(tokens: MavenToken[]): MavenToken[] {
  const kept = [...tokens];
  let boundary = kept.length;
  while (boundary >= 0) {
    while (boundary > 0 && isNull(kept[boundary - 1] as MavenToken)) {
      kept.splice(boundary - 1, 1);
      boundary--;
    }
    // Move back to the next hyphen-prefixed token; trim what precedes it.
    boundary--;
    while (boundary > 0 && (kept[boundary] as MavenToken).separator !== '-') boundary--;
  }
  return kept;
}

function isNull(token: MavenToken): boolean {
  return token.kind === 'number' ? /^0+$/.test(token.value) : token.value === '';
}

/** The padding token for a position where only the other version has `token`. */
function nullLike(token: MavenToken): MavenToken {
  return token.separator === '.' ? { separator: '.', kind: 'number', value: '0' } : { separator: '-', kind: 'qualifier', value: '' };
}

/** '.qualifier' = '-qualifier' < '-number' < '.number'; equal ranks compare their values. */
function compareTokens(x: MavenToken, y: MavenToken): number {
  const rankDifference = tokenRank(x) - tokenRank(y);
  if (rankDifference !== 0) return Math.sign(rankDifference);
  return x.kind === 'number' ? compareDigitStrings(x.value, y.value) : compareQualifiers(x.value, y.value);
}

function tokenRank(token: MavenToken): number {
  if (token.kind === 'qualifier') return 0;
  return token.separator === '-' ? 1 : 2;
}

function compareQualifiers(a: string, b: string): number {
  const aIndex = KNOWN_QUALIFIERS.indexOf(a);
  const bIndex = KNOWN_QUALIFIERS.indexOf(b);
  if (aIndex >= 0 && bIndex >= 0) return Math.sign(aIndex - bIndex);
  if (aIndex >= 0 || bIndex >= 0) return aIndex >= 0 ? -1 : 1;
  return compareCodeUnits(a, b);
}

function isDigit(character: string | undefined): boolean {
  return character !== undefined && character >= '0' && character <= '9';
}
