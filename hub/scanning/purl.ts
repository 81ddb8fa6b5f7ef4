/**
 * Package URLs (purl, `pkg:type/namespace/name@version?qualifiers`) for the packages the
 * analysers find: the identifiers vulnerability databases and SBOMs use for them.
 */
import type { InstalledPackage, OsInfo } from './analysers/types.ts';

/** Characters a purl component may carry as they are: RFC 3986 unreserved characters. */
const UNRESERVED = /[A-Za-z0-9._~-]/;

/**
 * Percent-encodes `text` as UTF-8, leaving unreserved characters and those in `alsoAllowed`.
 * `encodeURIComponent` alone would leave `!*'()` too, which the purl spec encodes.
 */
function percentEncode(text: string, alsoAllowed = ''): string {
  let encoded = '';
  for (const char of text) {
    if (UNRESERVED.test(char) || alsoAllowed.includes(char)) {
      encoded += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return encoded;
}

/** The parts of a purl before they are encoded. */
interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
}

function formatPurl({ type, namespace, name, version, qualifiers = {} }: PurlParts): string {
  // Namespace segments are encoded one by one, so the slashes between them stay.
  const namespacePath = namespace ? `${namespace.split('/').filter(Boolean).map((segment) => percentEncode(segment, ':')).join('/')}/` : '';
  // Debian and other versions carry an epoch (`1:`) and `+`; both are left readable, as is usual.
  const versionPart = version ? `@${percentEncode(version, ':+')}` : '';
  const qualifierPart = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => !!entry[1])
    .map(([key, value]) => [key.toLowerCase(), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    // Values are encoded strictly: `upstream` holds a `name@version` of its own.
    .map(([key, value]) => `${key}=${percentEncode(value)}`)
    .join('&');
  return `pkg:${type}/${namespacePath}${percentEncode(name, ':')}${versionPart}${qualifierPart ? `?${qualifierPart}` : ''}`;
}

/** `debian-12`, or with no version number (Debian testing, sid) the codename. */
function distroQualifier(os: OsInfo | undefined): string | undefined {
  if (!os) return undefined;
  const release = os.versionId ?? os.versionCodename;
  return release ? `${os.id}-${release}` : os.id;
}

/** The source package, when it differs from the binary one: `name`, or `name@version` if the versions differ. */
function upstreamQualifier(pkg: InstalledPackage): string | undefined {
  const sourceName = pkg.sourceName ?? pkg.name;
  const sourceVersion = pkg.sourceVersion ?? pkg.version;
  if (sourceVersion !== pkg.version) return `${sourceName}@${sourceVersion}`;
  return sourceName !== pkg.name ? sourceName : undefined;
}

/** A distribution package: namespaced by the distribution, with its architecture, release and source. */
function distroPackageParts(pkg: InstalledPackage, os: OsInfo | undefined, defaultDistro: string): PurlParts {
  return {
    type: pkg.type,
    namespace: (os?.id ?? defaultDistro).toLowerCase(),
    name: pkg.name.toLowerCase(),
    version: pkg.version,
    qualifiers: { arch: pkg.arch, distro: distroQualifier(os), upstream: upstreamQualifier(pkg) },
  };
}

/** Splits `prefix<separator>last` at the last separator; without one, all of it is the name. */
function splitLast(value: string, separator: string): { namespace?: string; name: string } {
  const at = value.lastIndexOf(separator);
  return at <= 0 ? { name: value } : { namespace: value.slice(0, at), name: value.slice(at + 1) };
}

function partsOf(pkg: InstalledPackage, os: OsInfo | undefined): PurlParts {
  const version = pkg.version;
  switch (pkg.type) {
    case 'deb':
      return distroPackageParts(pkg, os, 'debian');
    case 'apk':
      return distroPackageParts(pkg, os, 'alpine');
    case 'npm':
      // `@scope/name`: the scope, with its `@`, is the namespace.
      return { type: 'npm', ...(pkg.name.startsWith('@') ? splitLast(pkg.name, '/') : { name: pkg.name }), version };
    case 'pypi':
      return { type: 'pypi', name: pkg.name.toLowerCase().replace(/_/g, '-'), version };
    case 'golang':
      return { type: 'golang', ...splitLast(pkg.name, '/'), version };
    case 'maven':
      return { type: 'maven', ...splitLast(pkg.name, ':'), version };
    case 'gem':
    case 'cargo':
      return { type: pkg.type, name: pkg.name, version };
  }
}

/**
 * The package URL of `pkg`. Distribution packages (deb, apk) are namespaced by `os.id`
 * (`debian`, `alpine` without one) and qualified by `arch`, `distro` and, when the source
 * package differs, `upstream`; qualifiers are sorted by key.
 *
 * @example
 * packageUrl(
 *   { type: 'deb', name: 'busybox', version: '1:1.35.0-4+b3', sourceName: 'busybox', sourceVersion: '1:1.35.0-4', arch: 'amd64', path: 'var/lib/dpkg/status' },
 *   { id: 'debian', versionId: '12' },
 * );
 * // 'pkg:deb/debian/busybox@1:1.35.0-4+b3?arch=amd64&distro=debian-12&upstream=busybox%401%3A1.35.0-4'
 */
export function packageUrl(pkg: InstalledPackage, os?: OsInfo): string {
  return formatPurl(partsOf(pkg, os));
}
