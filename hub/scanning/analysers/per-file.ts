/**
 * The shape most analysers share: each wanted file read on its own, for the packages it records.
 */
import type { Analyser, InstalledPackage } from './types.ts';

/**
 * An analyser named `name` that keeps the files `wants` says and lists what `read` finds in each.
 *
 * @example
 * export const apkAnalyser = perFileAnalyser('apk', (path) => path === 'lib/apk/db/installed', readInstalledDb);
 */
export function perFileAnalyser(name: string, wants: (path: string) => boolean, read: (content: Buffer, path: string) => InstalledPackage[]): Analyser {
  return {
    name,
    wants,
    analyse(files) {
      const found: InstalledPackage[] = [];
      for (const [path, content] of files) if (wants(path)) found.push(...read(content, path));
      return found;
    },
  };
}

/**
 * An analyser over the extracts an extractor named `extractor` kept (stored as
 * `<path>#<extractor>`): `read` gets each extract with the path of the file it came from.
 *
 * @example
 * export const goBinaryAnalyser = extractAnalyser('go-binary', 'go-buildinfo', modulesOf);
 */
export function extractAnalyser(name: string, extractor: string, read: (extract: Buffer, path: string) => InstalledPackage[]): Analyser {
  const suffix = `#${extractor}`;
  return perFileAnalyser(name, (path) => path.endsWith(suffix), (extract, path) => read(extract, path.slice(0, -suffix.length)));
}
