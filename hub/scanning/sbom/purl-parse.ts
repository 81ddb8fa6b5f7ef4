/**
 * Reading package URLs back (`pkg:type/namespace/name@version?qualifiers#subpath`): the
 * components of SBOMs that others made name their packages by purl, and those are what the
 * scanner matches against vulnerability databases.
 */

/**
 * A package URL's parts, percent-decoded.
 *
 * @example
 * const { type, namespace, name }: ParsedPurl = parsePurl('pkg:npm/%40types/node@20.11.5'); // 'npm', '@types', 'node'
 */
export interface ParsedPurl {
  /** Lowercase, as the purl spec makes it. */
  type: string;
  /** Segments joined by `/`, each decoded. */
  namespace?: string;
  name: string;
  version?: string;
  /** Keys lowercase. */
  qualifiers: Record<string, string>;
  subpath?: string;
}

function decode(text: string, purl: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`"${purl}" is not a package URL: bad percent-encoding in "${text}"`);
  }
}

/**
 * Parses a package URL as the purl specification says: from the right, subpath, qualifiers,
 * version (only an `@` after the last `/`, so that an unencoded npm scope stays in the
 * namespace), then type, namespace and name. Throws on text that is not a purl.
 *
 * @example
 * parsePurl('pkg:deb/debian/busybox@1:1.35.0-4+b3?arch=amd64&upstream=busybox%401%3A1.35.0-4');
 * // { type: 'deb', namespace: 'debian', name: 'busybox', version: '1:1.35.0-4+b3', qualifiers: { arch: 'amd64', upstream: 'busybox@1:1.35.0-4' } }
 */
export function parsePurl(purl: string): ParsedPurl {
  if (!/^pkg:/i.test(purl)) throw new Error(`"${purl}" is not a package URL: it does not start with pkg:`);
  let rest = purl.slice(4).replace(/^\/+/, '');
  let subpath: string | undefined;
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    const segments = rest.slice(hash + 1).split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
    subpath = segments.map((s) => decode(s, purl)).join('/') || undefined;
    rest = rest.slice(0, hash);
  }
  const qualifiers: Record<string, string> = {};
  const question = rest.indexOf('?');
  if (question !== -1) {
    for (const pair of rest.slice(question + 1).split('&')) {
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const value = decode(pair.slice(equals + 1), purl);
      if (value !== '') qualifiers[pair.slice(0, equals).toLowerCase()] = value;
    }
    rest = rest.slice(0, question);
  }
  rest = rest.replace(/\/+$/, '');
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > rest.lastIndexOf('/')) {
    version = decode(rest.slice(at + 1), purl) || undefined;
    rest = rest.slice(0, at);
  }
  const segments = rest.split('/').filter(Boolean);
  const [type, ...path] = segments;
  const last = path.pop();
  if (!type || !/^[A-Za-z.+-][A-Za-z0-9.+-]*$/.test(type) || last === undefined) throw new Error(`"${purl}" is not a package URL: it needs a type and a name`);
  const name = decode(last, purl);
  if (name === '') throw new Error(`"${purl}" is not a package URL: its name is empty`);
  const namespace = path.map((segment) => decode(segment, purl)).join('/');
  return {
    type: type.toLowerCase(),
    ...(namespace ? { namespace } : {}),
    name,
    ...(version !== undefined ? { version } : {}),
    qualifiers,
    ...(subpath ? { subpath } : {}),
  };
}
