/**
 * npm-style semantic version ranges over image tags, so that a build can depend on
 * `libs/runtime:^1.2` and get the highest tag that fits. Pure (no I/O): the Hub's resolve
 * endpoint and the Nockerfile's validation read ranges with the same grammar.
 *
 * The grammar, as npm's: alternatives joined by `||`; each one a hyphen range (`1.2 - 2.3`) or
 * comparators joined by spaces, all of which must hold. A comparator is `<`, `<=`, `>`, `>=`, `=`,
 * `^` or `~` before a version, or a version alone; a version may start with `v`, and may be
 * partial (`1`, `1.2`) or hold wildcards (`1.x`, `1.2.*`, `*`).
 *
 * Prereleases follow npm's rule: a tag such as `2.0.0-rc.1` satisfies a range only when one of
 * the comparators of the alternative it satisfies names a prerelease of the same
 * MAJOR.MINOR.PATCH (`>=2.0.0-rc.0`), so that `^1.2` never picks up a release candidate.
 * Tags that are not SemVer (`latest`, `1.2`, `stable`) never satisfy a range.
 */
import { compareSemver, parseSemver, type SemanticVersion } from '../scanning/versions/semver.ts';

/** A range that does not follow the grammar; the message says where. */
export class InvalidRangeError extends Error {
  override readonly name = 'InvalidRangeError';

  constructor(
    readonly range: string,
    readonly reason: string,
  ) {
    super(`invalid version range "${range}": ${reason}`);
  }
}

/** One bound: a full SemVer version and how a candidate compares with it. */
export interface Comparator {
  operator: '<' | '<=' | '>' | '>=' | '=';
  version: string;
  /** The range wrote this prerelease itself (not a `-0` bound added by desugaring). */
  prerelease?: true;
}

/** A parsed range: any alternative (a list of comparators that must all hold) may match. */
export interface SemverRange {
  /** The range as written (trimmed). */
  text: string;
  alternatives: Comparator[][];
}

/** A possibly partial version: a missing or wildcard part is undefined. */
interface PartialVersion {
  major?: string;
  minor?: string;
  patch?: string;
  prerelease: string;
}

const NUMBER = '0|[1-9]\\d*';
const PART = `(${NUMBER}|[xX*])`;
const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const PARTIAL_PATTERN = new RegExp(`^[vV]?${PART}(?:\\.${PART}(?:\\.${PART}(?:-(${IDENTIFIERS}))?(?:\\+${IDENTIFIERS})?)?)?$`);
const COMPARATOR_PATTERN = /^(<=|>=|<|>|=|\^|~>?)?\s*(.*)$/;

const wild = (part: string | undefined) => (part === undefined || /^[xX*]$/.test(part) ? undefined : part);
const next = (n: string) => (BigInt(n) + 1n).toString();

function parsePartial(text: string, range: string): PartialVersion {
  const match = PARTIAL_PATTERN.exec(text);
  if (!match) throw new InvalidRangeError(range, `"${text}" is not a version (MAJOR[.MINOR[.PATCH[-PRERELEASE]]], parts may be x or *)`);
  const major = wild(match[1]);
  const minor = major === undefined ? undefined : wild(match[2]);
  const patch = minor === undefined ? undefined : wild(match[3]);
  const prerelease = patch === undefined ? '' : (match[4] ?? '');
  if (major === undefined && match[2] !== undefined && wild(match[2]) !== undefined) throw new InvalidRangeError(range, `"${text}" has a number after a wildcard`);
  if (minor === undefined && match[3] !== undefined && wild(match[3]) !== undefined) throw new InvalidRangeError(range, `"${text}" has a number after a wildcard`);
  return { major, minor, patch, prerelease };
}

const full = (p: PartialVersion) => `${p.major ?? 0}.${p.minor ?? 0}.${p.patch ?? 0}${p.prerelease ? `-${p.prerelease}` : ''}`;
/** The lowest version above every release of a partial version: `1.2` → `1.3.0-0`. */
function above(p: PartialVersion): string {
  if (p.major === undefined) throw new Error('internal: no version is above *');
  if (p.minor === undefined) return `${next(p.major)}.0.0-0`;
  return `${p.major}.${next(p.minor)}.0-0`;
}

/** The comparators one operator and (partial) version stand for, as npm desugars them. */
function desugar(operator: string, p: PartialVersion, range: string): Comparator[] {
  const comparators = bounds(operator, p, range);
  if (p.prerelease === '') return comparators;
  return comparators.map((c) => (c.version === full(p) ? { ...c, prerelease: true } : c));
}

function bounds(operator: string, p: PartialVersion, range: string): Comparator[] {
  const any: Comparator[] = [{ operator: '>=', version: '0.0.0-0' }];
  const { major, minor, patch } = p;
  switch (operator) {
    case '':
    case '=':
      if (major === undefined) return any;
      if (patch === undefined) return [{ operator: '>=', version: full(p) }, { operator: '<', version: above(p) }];
      return [{ operator: '=', version: full(p) }];
    case '^': {
      if (major === undefined) return any;
      let upper: string;
      if (major !== '0' || minor === undefined) upper = `${next(major)}.0.0-0`;
      else if (minor !== '0' || patch === undefined) upper = `0.${next(minor)}.0-0`;
      else upper = `0.0.${next(patch)}-0`;
      return [{ operator: '>=', version: full(p) }, { operator: '<', version: upper }];
    }
    case '~':
    case '~>':
      if (major === undefined) return any;
      return [{ operator: '>=', version: full(p) }, { operator: '<', version: above(minor === undefined ? p : { ...p, patch: undefined }) }];
    case '>':
      if (major === undefined) return [{ operator: '<', version: '0.0.0-0' }]; // nothing is above everything
      return patch === undefined ? [{ operator: '>=', version: above(p) }] : [{ operator: '>', version: full(p) }];
    case '>=':
      return major === undefined ? any : [{ operator: '>=', version: full(p) }];
    case '<':
      return major === undefined ? [{ operator: '<', version: '0.0.0-0' }] : [{ operator: '<', version: patch === undefined ? `${full(p)}-0` : full(p) }];
    case '<=':
      if (major === undefined) return any;
      return patch === undefined ? [{ operator: '<', version: above(p) }] : [{ operator: '<=', version: full(p) }];
    default:
      throw new InvalidRangeError(range, `unknown operator "${operator}"`);
  }
}

function parseAlternative(text: string, range: string): Comparator[] {
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
  if (hyphen) {
    const from = parsePartial(hyphen[1] as string, range);
    const to = parsePartial(hyphen[2] as string, range);
    return [...desugar('>=', from, range), ...desugar('<=', to, range)];
  }
  // An operator may stand apart from its version (`>= 1.2`): join them before splitting.
  const words = text.replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1').split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return desugar('', { prerelease: '' }, range);
  return words.flatMap((word) => {
    const match = COMPARATOR_PATTERN.exec(word) as RegExpExecArray;
    if ((match[2] ?? '') === '') throw new InvalidRangeError(range, `"${word}" has no version after its operator`);
    return desugar(match[1] ?? '', parsePartial(match[2] as string, range), range);
  });
}

/**
 * Reads a range. An empty range, like `*`, admits every release.
 *
 * @throws {InvalidRangeError} for text that is not a range.
 * @example
 * parseRange('^1.2').alternatives; // [[{ operator: '>=', version: '1.2.0' }, { operator: '<', version: '2.0.0-0' }]]
 */
export function parseRange(text: string): SemverRange {
  const trimmed = text.trim();
  if (trimmed.length > 256) throw new InvalidRangeError(`${trimmed.slice(0, 40)}…`, 'longer than 256 characters');
  const alternatives = trimmed.split('||').map((alternative) => parseAlternative(alternative.trim(), trimmed));
  return { text: trimmed, alternatives };
}

/**
 * Whether `text` is written as a range rather than a plain tag: it holds an operator, a space,
 * `||` or a wildcard part (`^1.2`, `>=1 <2`, `1.x`, `*`). `1.2.3`, `1.2` and `latest` are not.
 *
 * @example
 * isRangeLike('^1.2'); // true
 * isRangeLike('1.2.3'); // false
 */
export function isRangeLike(text: string): boolean {
  const trimmed = text.trim();
  if (/[<>=^~|\s*]/.test(trimmed)) return true;
  return /^[vV]?(?:\d+|[xX])(?:\.(?:\d+|[xX]))*$/.test(trimmed) && /(^|\.)[xX]/.test(trimmed.replace(/^[vV]/, ''));
}

function holds(version: string, comparator: Comparator): boolean {
  const order = compareSemver(version, comparator.version);
  switch (comparator.operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
  }
}

const sameRelease = (a: SemanticVersion, b: SemanticVersion) => a.major === b.major && a.minor === b.minor && a.patch === b.patch;

function satisfiesAlternative(parsed: SemanticVersion, version: string, comparators: Comparator[]): boolean {
  if (!comparators.every((c) => holds(version, c))) return false;
  if (parsed.prerelease.length === 0) return true;
  // npm's rule: a prerelease only where the range itself names one of the same release.
  return comparators.some((c) => c.prerelease === true && sameRelease(parseSemver(c.version), parsed));
}

/** The tag as a SemVer version, or undefined for a tag that is not one. */
function semverOf(tag: string): SemanticVersion | undefined {
  try {
    return parseSemver(tag);
  } catch {
    return undefined;
  }
}

/**
 * Whether `version` (a tag, `v` allowed) satisfies `range`; a tag that is not SemVer never does.
 *
 * @throws {InvalidRangeError} for a range that is not one.
 * @example
 * satisfies('1.4.0', '^1.2'); // true
 * satisfies('2.0.0-rc.1', '^1.2 || ^2'); // false: no prerelease of 2.0.0 is named
 */
export function satisfies(version: string, range: string | SemverRange): boolean {
  const parsed = semverOf(version);
  if (!parsed) return false;
  const { alternatives } = typeof range === 'string' ? parseRange(range) : range;
  return alternatives.some((comparators) => satisfiesAlternative(parsed, version, comparators));
}

/**
 * The highest of `tags` that satisfies `range`, or undefined when none does. Of two tags of
 * equal precedence (`1.2.3` and `v1.2.3`) the one first in byte order wins, so the answer does
 * not depend on the order of `tags`.
 *
 * @throws {InvalidRangeError} for a range that is not one.
 * @example
 * maxSatisfying(['1.0.0', '1.2.5', '1.3.0-rc.1', '2.0.0', 'latest'], '^1.2'); // '1.2.5'
 */
export function maxSatisfying(tags: readonly string[], range: string | SemverRange): string | undefined {
  const parsedRange = typeof range === 'string' ? parseRange(range) : range;
  let best: string | undefined;
  for (const tag of tags) {
    if (!satisfies(tag, parsedRange)) continue;
    const order = best === undefined ? 1 : compareSemver(tag, best);
    if (order > 0 || (order === 0 && best !== undefined && tag < best)) best = tag;
  }
  return best;
}
