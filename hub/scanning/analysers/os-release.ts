/**
 * The distribution of an image, from its os-release file: newline-separated `KEY=value`
 * assignments in shell syntax, where `etc/os-release` takes precedence over
 * `usr/lib/os-release` (etc/os-release is often only a symlink to the other).
 */
import type { OsInfo } from './types.ts';

/**
 * Where os-release lives, in order of precedence.
 *
 * @example
 * const first = OS_RELEASE_PATHS[0]; // 'etc/os-release'
 */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;

/**
 * Whether `path` is an os-release file the scanner should keep.
 *
 * @example
 * isOsReleasePath('etc/os-release'); // true
 */
export function isOsReleasePath(path: string): boolean {
  return (OS_RELEASE_PATHS as readonly string[]).includes(path);
}

/**
 * Reads the value of one assignment the way a shell would: single quotes are literal, double
 * quotes allow `\` before `$ " \` and backquote, and outside quotes `\` escapes any character.
 * Quoted and unquoted parts may be joined (`"a"'b'c`).
 */
function unquoteShellValue(raw: string): string {
  let value = '';
  let i = 0;
  while (i < raw.length) {
    const char = raw[i]!;
    if (char === "'") {
      const end = raw.indexOf("'", i + 1);
      const stop = end === -1 ? raw.length : end;
      value += raw.slice(i + 1, stop);
      i = stop + 1;
    } else if (char === '"') {
      i++;
      while (i < raw.length && raw[i] !== '"') {
        const next = raw[i + 1];
        if (raw[i] === '\\' && next !== undefined && '$"\\`'.includes(next)) {
          value += next;
          i += 2;
        } else {
          value += raw[i];
          i++;
        }
      }
      i++;
    } else if (char === '\\' && i + 1 < raw.length) {
      value += raw[i + 1];
      i += 2;
    } else if (char === ' ' || char === '\t') {
      // An unquoted blank ends the word; what follows would be a command, not part of the value.
      break;
    } else {
      value += char;
      i++;
    }
  }
  return value;
}

/**
 * All assignments of an os-release file; comments and lines that are not assignments are skipped.
 *
 * @example
 * parseOsReleaseFields('ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n').get('PRETTY_NAME');
 * // 'Debian GNU/Linux 12 (bookworm)'
 */
export function parseOsReleaseFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) fields.set(match[1]!, unquoteShellValue(match[2]!.trim()));
  }
  return fields;
}

/**
 * The {@link OsInfo} of an os-release file, or `undefined` when it assigns nothing. `ID`
 * defaults to `linux`, as the os-release specification says.
 *
 * @example
 * parseOsRelease('ID=alpine\nVERSION_ID=3.19.1\n'); // { id: 'alpine', versionId: '3.19.1' }
 */
export function parseOsRelease(text: string): OsInfo | undefined {
  const fields = parseOsReleaseFields(text);
  if (fields.size === 0) return undefined;
  const info: OsInfo = { id: (fields.get('ID') || 'linux').toLowerCase() };
  const versionId = fields.get('VERSION_ID');
  const versionCodename = fields.get('VERSION_CODENAME');
  const prettyName = fields.get('PRETTY_NAME');
  if (versionId) info.versionId = versionId;
  if (versionCodename) info.versionCodename = versionCodename;
  if (prettyName) info.prettyName = prettyName;
  return info;
}

/**
 * The distribution of the image whose files are `files`: `etc/os-release`, or
 * `usr/lib/os-release` when the former is absent or empty (as a kept symlink would be).
 *
 * @example
 * readOsRelease(new Map([['usr/lib/os-release', Buffer.from('ID=debian\nVERSION_ID="12"\n')]]));
 * // { id: 'debian', versionId: '12' }
 */
export function readOsRelease(files: ReadonlyMap<string, Buffer>): OsInfo | undefined {
  for (const path of OS_RELEASE_PATHS) {
    const content = files.get(path);
    const info = content && parseOsRelease(content.toString('utf8'));
    if (info) return info;
  }
  return undefined;
}
