/**
 * All analysers, the extractors that feed some of them, and the one call that runs them over
 * the files an image scan kept.
 */
import type { FileExtractor } from '../layer-files.ts';
import { apkAnalyser } from './apk.ts';
import { cargoAuditableAnalyser, cargoAuditableExtractor } from './cargo-auditable.ts';
import { cargoAnalyser } from './cargo.ts';
import { dpkgAnalyser } from './dpkg.ts';
import { gemAnalyser } from './gem.ts';
import { goBinaryAnalyser, goBuildInfoExtractor } from './go-binary.ts';
import { javaAnalyser, javaArchiveExtractor } from './java.ts';
import { npmAnalyser } from './npm.ts';
import { isOsReleasePath, readOsRelease } from './os-release.ts';
import { pythonAnalyser } from './python.ts';
import type { Analyser, InstalledPackage, OsInfo } from './types.ts';

/**
 * Every analyser, in the order their findings are listed.
 *
 * @example
 * const keep = ANALYSERS.some((analyser) => analyser.wants('lib/apk/db/installed')); // true
 */
export const ANALYSERS: readonly Analyser[] = [dpkgAnalyser, apkAnalyser, npmAnalyser, pythonAnalyser, gemAnalyser, cargoAnalyser, goBinaryAnalyser, cargoAuditableAnalyser, javaAnalyser];

/**
 * The extractors whose extracts (`<path>#<name>` in the scanned files) the analysers above read:
 * what readImageFiles uses unless told otherwise.
 *
 * @example
 * EXTRACTORS.map((extractor) => extractor.name); // ['go-buildinfo', 'cargo-auditable', 'java-archive']
 */
export const EXTRACTORS: readonly FileExtractor[] = [goBuildInfoExtractor, cargoAuditableExtractor, javaArchiveExtractor];

/**
 * Whether an image scan should keep the file at `path`: some analyser wants it, or it is the
 * os-release file that says which distribution the packages belong to.
 *
 * @example
 * isScannedPath('etc/os-release'); // true
 * isScannedPath('usr/bin/busybox'); // false
 */
export function isScannedPath(path: string): boolean {
  return isOsReleasePath(path) || ANALYSERS.some((analyser) => analyser.wants(path));
}

/**
 * The packages every analyser finds in `files`, each listed once per type, name, version and
 * file. Without `os`, the distribution is read from the os-release among `files`.
 *
 * @example
 * const packages = analyseFiles(new Map([['lib/apk/db/installed', Buffer.from('P:musl\nV:1.2.4-r2\n')]]));
 * // [{ type: 'apk', name: 'musl', version: '1.2.4-r2', path: 'lib/apk/db/installed' }]
 */
export function analyseFiles(files: ReadonlyMap<string, Buffer>, os: OsInfo | undefined = readOsRelease(files)): InstalledPackage[] {
  const seen = new Set<string>();
  const found: InstalledPackage[] = [];
  for (const analyser of ANALYSERS) {
    for (const installed of analyser.analyse(files, os)) {
      // NUL cannot occur in any of the parts, so the key is unambiguous.
      const key = [installed.type, installed.name, installed.version, installed.path].join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(installed);
    }
  }
  return found;
}

export type { Analyser, InstalledPackage, OsInfo, PackageType } from './types.ts';
export { readOsRelease } from './os-release.ts';
