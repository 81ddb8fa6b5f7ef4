/**
 * Python distributions, from their core metadata: `METADATA` in a `.dist-info` directory
 * (wheels, pip), `PKG-INFO` in an `.egg-info` directory (setuptools), or an `.egg-info` that is
 * itself the metadata file (distutils, and many distribution-packaged modules).
 */
import { parseHeaderBlock, type ControlStanza } from './control.ts';
import type { InstalledPackage } from './types.ts';
import { perFileAnalyser } from './per-file.ts';

const METADATA_FILE = /(?:^|\/)[^/]+\.dist-info\/METADATA$|(?:^|\/)[^/]+\.egg-info(?:\/PKG-INFO)?$/;

/**
 * The distribution's licence: `License-Expression` (metadata 2.4), else `License` when it is one
 * line, as a free-text `License` often holds the licence's whole text.
 */
function licensesOf(headers: ControlStanza): string[] {
  const license = headers.get('license-expression') || headers.get('license');
  return license && !license.includes('\n') && license !== 'UNKNOWN' ? [license] : [];
}

function packageOf(content: Buffer, path: string): InstalledPackage | undefined {
  const headers = parseHeaderBlock(content.toString('utf8'));
  const name = headers.get('name');
  const version = headers.get('version');
  if (!name || !version) return undefined;
  const found: InstalledPackage = { type: 'pypi', name, version, path };
  const licenses = licensesOf(headers);
  if (licenses.length > 0) found.licenses = licenses;
  return found;
}

/**
 * The Python analyser.
 *
 * @example
 * const metadata = Buffer.from('Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n');
 * pythonAnalyser.analyse(new Map([['usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA', metadata]]));
 * // [{ type: 'pypi', name: 'requests', version: '2.31.0', licenses: ['Apache 2.0'], path: 'usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA' }]
 */
export const pythonAnalyser = perFileAnalyser('python', (path) => METADATA_FILE.test(path), (content, path) => {
  const found = packageOf(content, path);
  return found ? [found] : [];
});
