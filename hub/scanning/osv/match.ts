/**
 * Whether an installed package version is affected by an OSV record, by the schema's evaluation
 * rules. Version order is not known here: the caller passes the comparator of the ecosystem
 * (see hub/scanning/versions), so this module stays one algorithm over any ordering.
 */
import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './record.ts';

/** Orders two versions of one ecosystem: negative, zero or positive, as `Array.prototype.sort` wants. */
export type VersionCompare = (a: string, b: string) => number;

/** The verdict for one package version. */
export interface AffectedResult {
  affected: boolean;
  /** The lowest `fixed` version above the installed one, when the record names one. */
  fixed?: string;
}

/** Options of {@link isAffected}. */
export interface MatchOptions {
  /**
   * The order of SEMVER ranges, which the schema defines as SemVer 2.0 whatever the ecosystem;
   * the ecosystem's comparator is used when this is not given.
   */
  semverCompare?: VersionCompare;
}

/** The version an `introduced` event uses for "since the first release", below every other. */
const INTRODUCED_AT_START = '0';

/**
 * Whether the record's ecosystem covers the image's: the same base name and, when the record
 * names a release (`Debian:12`), the same release; a record without a release (`Debian`) covers
 * every release. A release on the image's side may be more precise (`Alpine:v3.20.3` is covered
 * by `Alpine:v3.20`), since images report the full release while databases group by major.
 *
 * @example
 * ecosystemMatches('Debian:12', 'Debian:12'); // true
 * ecosystemMatches('Debian', 'Debian:11'); // true
 * ecosystemMatches('Debian:12', 'Debian:11'); // false
 */
export function ecosystemMatches(recordEcosystem: string, imageEcosystem: string): boolean {
  const record = splitEcosystem(recordEcosystem);
  const image = splitEcosystem(imageEcosystem);
  if (record.base.toLowerCase() !== image.base.toLowerCase()) return false;
  if (record.release === undefined) return true;
  if (image.release === undefined) return false;
  return image.release === record.release || image.release.startsWith(`${record.release}.`);
}

function splitEcosystem(ecosystem: string): { base: string; release?: string } {
  const colon = ecosystem.indexOf(':');
  if (colon < 0) return { base: ecosystem.trim() };
  return { base: ecosystem.slice(0, colon).trim(), release: ecosystem.slice(colon + 1).trim() };
}

/**
 * A PyPI project name in PEP 503's normal form: lower case, each run of `-`, `_` and `.` one `-`.
 *
 * @example
 * normalizePypiName('Zope.Interface__Extra'); // 'zope-interface-extra'
 */
export function normalizePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * Whether two package names are the same package in `ecosystem`: PyPI names compare in PEP 503
 * form; other ecosystems (npm, Go module paths, Debian, Alpine, Maven coordinates) compare exactly.
 *
 * @example
 * packageNamesMatch('PyPI', 'Foo_Bar', 'foo-bar'); // true
 * packageNamesMatch('npm', 'Foo', 'foo'); // false
 */
export function packageNamesMatch(ecosystem: string, a: string, b: string): boolean {
  if (splitEcosystem(ecosystem).base.toLowerCase() === 'pypi') return normalizePypiName(a) === normalizePypiName(b);
  return a === b;
}

/**
 * The `affected` entries of a record that are about `packageName` in the image's `ecosystem`.
 *
 * @example
 * matchingAffected(record, 'Debian:12', 'openssl').length; // 1 when the record lists openssl for Debian 12 or all Debian
 */
export function matchingAffected(record: OsvRecord, ecosystem: string, packageName: string): OsvAffected[] {
  return record.affected.filter((entry) => {
    const pkg = entry.package;
    return pkg !== undefined && ecosystemMatches(pkg.ecosystem, ecosystem) && packageNamesMatch(ecosystem, pkg.name, packageName);
  });
}

/**
 * Whether `version` of `packageName`, installed from `ecosystem`, is affected by `record`, with
 * the fixed version to suggest. A version is affected when an entry lists it in `versions`, or
 * when in a SEMVER or ECOSYSTEM range it is at or above an `introduced` and below the next
 * `fixed` (or at most the next `last_affected`), and below any `limit` of that range. GIT
 * ranges name commits, not versions, and are skipped. A withdrawn record affects nothing.
 * Errors of `compare` on the installed version or a range's event are left to the caller.
 *
 * @example
 * const dotted = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
 * isAffected(record, 'Debian:12', 'openssl', '3.0.1', dotted); // { affected: true, fixed: '3.0.9' }
 */
export function isAffected(
  record: OsvRecord,
  ecosystem: string,
  packageName: string,
  version: string,
  compare: VersionCompare,
  options: MatchOptions = {},
): AffectedResult {
  if (record.withdrawn !== undefined) return { affected: false };
  let affected = false;
  const fixes: string[] = [];
  for (const entry of matchingAffected(record, ecosystem, packageName)) {
    if (entry.versions.some((listed) => sameVersion(listed, version, compare))) affected = true;
    for (const range of entry.ranges) {
      if (range.type === 'GIT') continue;
      const order = range.type === 'SEMVER' ? (options.semverCompare ?? compare) : compare;
      if (!inRange(range, version, order)) continue;
      affected = true;
      const fixed = nextFixed(range, version, order);
      if (fixed !== undefined) fixes.push(fixed);
    }
  }
  if (!affected) return { affected: false };
  // Of the fixes found, the lowest is the smallest upgrade that leaves the range it was in.
  const lowest = fixes.sort(compare)[0];
  return lowest === undefined ? { affected: true } : { affected: true, fixed: lowest };
}

/**
 * Listed versions match exactly or by the ecosystem's equality (PyPI's `1.0` is `1.0.0`).
 * Lists often carry repository tags the comparator cannot read; such an entry just does not match.
 */
function sameVersion(listed: string, version: string, compare: VersionCompare): boolean {
  if (listed === version) return true;
  try {
    return compare(listed, version) === 0;
  } catch {
    return false;
  }
}

type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

function eventParts(event: OsvEvent): { kind: EventKind; version: string } {
  if ('introduced' in event) return { kind: 'introduced', version: event.introduced };
  if ('fixed' in event) return { kind: 'fixed', version: event.fixed };
  if ('last_affected' in event) return { kind: 'last_affected', version: event.last_affected };
  return { kind: 'limit', version: event.limit };
}

/** `compare`, with the `introduced: "0"` sentinel below every version whatever the ecosystem's order. */
function withStart(compare: VersionCompare): VersionCompare {
  return (a, b) => {
    if (a === INTRODUCED_AT_START || b === INTRODUCED_AT_START) {
      if (a === b) return 0;
      return a === INTRODUCED_AT_START ? -1 : 1;
    }
    return compare(a, b);
  };
}

function inRange(range: OsvRange, version: string, compare: VersionCompare): boolean {
  const order = withStart(compare);
  const events = range.events.map(eventParts);
  const limits = events.filter((event) => event.kind === 'limit').map((event) => event.version);
  // Limits bound the whole range: at or past every limit, nothing in it counts.
  if (limits.length > 0 && !limits.some((limit) => limit === '*' || order(version, limit) < 0)) return false;
  // The schema evaluates events in version order whatever order the record lists them in.
  const sorted = events.filter((event) => event.kind !== 'limit').sort((a, b) => order(a.version, b.version));
  let affected = false;
  for (const event of sorted) {
    const relation = order(version, event.version);
    if (event.kind === 'introduced' && relation >= 0) affected = true;
    else if (event.kind === 'fixed' && relation >= 0) affected = false;
    else if (event.kind === 'last_affected' && relation > 0) affected = false;
  }
  return affected;
}

function nextFixed(range: OsvRange, version: string, compare: VersionCompare): string | undefined {
  const fixes = range.events
    .map(eventParts)
    .filter((event) => event.kind === 'fixed' && compare(event.version, version) > 0)
    .map((event) => event.version)
    .sort(compare);
  return fixes[0];
}
