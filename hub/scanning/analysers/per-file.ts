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
