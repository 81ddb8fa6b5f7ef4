/**
 * Alpine (and Wolfi) packages, from apk's database `lib/apk/db/installed`: one record per
 * package, records separated by blank lines, each line a one-letter key, `:`, and a value.
 */
import type { InstalledPackage } from './types.ts';
import { perFileAnalyser } from './per-file.ts';

const INSTALLED_PATH = 'lib/apk/db/installed';

/** The first value of each key in one record; keys such as `F` and `R` repeat, and are not needed. */
function recordFields(record: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of record.split('\n')) {
    const key = line[0];
    if (key !== undefined && line[1] === ':' && !fields.has(key)) fields.set(key, line.slice(2).trim());
  }
  return fields;
}

function packageOf(fields: Map<string, string>, path: string): InstalledPackage | undefined {
  const name = fields.get('P');
  const version = fields.get('V');
  if (!name || !version) return undefined;
  const found: InstalledPackage = { type: 'apk', name, version, path };
  const arch = fields.get('A');
  const origin = fields.get('o');
  const license = fields.get('L');
  if (arch) found.arch = arch;
  if (origin) {
    // An origin's subpackages are built with it, at its version.
    found.sourceName = origin;
    found.sourceVersion = version;
  }
  // `L` is a single expression (`MIT AND BSD-3-Clause`, or older free text), so it is kept whole.
  if (license) found.licenses = [license];
  return found;
}

/**
 * The apk analyser.
 *
 * @example
 * const db = Buffer.from('P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n\n');
 * apkAnalyser.analyse(new Map([['lib/apk/db/installed', db]]));
 * // [{ type: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64', sourceName: 'musl', sourceVersion: '1.2.4-r2', licenses: ['MIT'], path: 'lib/apk/db/installed' }]
 */
export const apkAnalyser = perFileAnalyser('apk', (path) => path === INSTALLED_PATH, (content, path) =>
  content
    .toString('utf8')
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .flatMap((record) => packageOf(recordFields(record), path) ?? []),
);
