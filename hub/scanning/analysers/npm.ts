/**
 * npm packages, from the `package.json` at the root of each package directory under a
 * `node_modules` directory (at any depth, so nested dependencies count too). A package.json
 * elsewhere is an application's own manifest, or a marker file inside a package, not an
 * installed package.
 */
import type { InstalledPackage } from './types.ts';
import { perFileAnalyser } from './per-file.ts';

/**
 * `…node_modules/name/package.json` or `…node_modules/@scope/name/package.json`. Package
 * names never start with `.`, which also keeps out `node_modules/.bin` and the like.
 */
const PACKAGE_MANIFEST = /(?:^|\/)node_modules\/(?:@[^/.][^/]*\/)?[^/.@][^/]*\/package\.json$/;

/** The licence fields of a manifest: `license` (SPDX expression), or the deprecated `{ type }` and `licenses` forms. */
function licensesOf(manifest: Record<string, unknown>): string[] {
  const typeOf = (entry: unknown): string | undefined => {
    if (typeof entry === 'string') return entry;
    if (entry && typeof entry === 'object' && 'type' in entry && typeof entry.type === 'string') return entry.type;
    return undefined;
  };
  const entries = Array.isArray(manifest.licenses) ? manifest.licenses : [manifest.license];
  return entries.map(typeOf).filter((license): license is string => !!license);
}

function packageOf(content: Buffer, path: string): InstalledPackage | undefined {
  let manifest: unknown;
  try {
    // Some published manifests start with a byte order mark, which JSON.parse rejects.
    manifest = JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    // An unreadable manifest names no package; the rest of the image is still worth scanning.
    return undefined;
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) return undefined;
  const fields = manifest as Record<string, unknown>;
  const { name, version } = fields;
  if (typeof name !== 'string' || !name || typeof version !== 'string' || !version) return undefined;
  const found: InstalledPackage = { type: 'npm', name, version, path };
  const licenses = licensesOf(fields);
  if (licenses.length > 0) found.licenses = licenses;
  return found;
}

/**
 * The npm analyser.
 *
 * @example
 * const manifest = Buffer.from('{"name":"@types/node","version":"20.11.5","license":"MIT"}');
 * npmAnalyser.analyse(new Map([['app/node_modules/@types/node/package.json', manifest]]));
 * // [{ type: 'npm', name: '@types/node', version: '20.11.5', licenses: ['MIT'], path: 'app/node_modules/@types/node/package.json' }]
 */
export const npmAnalyser = perFileAnalyser('npm', (path) => PACKAGE_MANIFEST.test(path), (content, path) => {
  const found = packageOf(content, path);
  return found ? [found] : [];
});
