/**
 * Debian packages, from dpkg's database: `var/lib/dpkg/status`, and the one-stanza-per-package
 * files of `var/lib/dpkg/status.d/` that distroless images carry instead.
 */
import { parseControlStanzas, type ControlStanza } from './control.ts';
import type { InstalledPackage } from './types.ts';
import { perFileAnalyser } from './per-file.ts';

const STATUS_PATH = 'var/lib/dpkg/status';
/** A file directly in status.d; distroless puts each package's `.md5sums` beside it, which is not a stanza. */
const STATUS_D_FILE = /^var\/lib\/dpkg\/status\.d\/[^/.][^/]*$/;

/**
 * Whether a dpkg `Status:` value (`want flag status`) says the package's files are on disk:
 * `install ok installed`, and also a package on hold or selected for removal but not yet removed.
 */
function isInstalled(status: string): boolean {
  const [, flag, state] = status.split(/\s+/);
  return flag === 'ok' && state === 'installed';
}

/**
 * The source package of a binary one. `Source:` is `name` or `name (version)`; without a version
 * the source's is the binary's, less a binNMU suffix (`+bN`), which only the rebuilt binary carries.
 *
 * @example
 * sourceOf('busybox', '1:1.35.0-4+b3', 'busybox'); // { name: 'busybox', version: '1:1.35.0-4' }
 */
export function sourceOf(binaryName: string, binaryVersion: string, source: string | undefined): { name: string; version: string } {
  const match = /^(\S+)(?:\s*\(([^)]+)\))?/.exec(source?.trim() ?? '');
  return {
    name: match?.[1] ?? binaryName,
    version: match?.[2]?.trim() ?? binaryVersion.replace(/\+b\d+$/, ''),
  };
}

function packageOf(stanza: ControlStanza, path: string): InstalledPackage | undefined {
  const name = stanza.get('package');
  const version = stanza.get('version');
  if (!name || !version) return undefined;
  const status = stanza.get('status');
  // status.d stanzas have no Status field: a file there exists only for an installed package.
  if (status !== undefined && !isInstalled(status)) return undefined;
  const source = sourceOf(name, version, stanza.get('source'));
  const found: InstalledPackage = { type: 'deb', name, version, sourceName: source.name, sourceVersion: source.version, path };
  const arch = stanza.get('architecture');
  if (arch) found.arch = arch;
  return found;
}

/**
 * The dpkg analyser.
 *
 * @example
 * const status = Buffer.from('Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nSource: zlib\n');
 * dpkgAnalyser.analyse(new Map([['var/lib/dpkg/status', status]]));
 * // [{ type: 'deb', name: 'zlib1g', version: '1:1.2.13.dfsg-1', sourceName: 'zlib', sourceVersion: '1:1.2.13.dfsg-1', path: 'var/lib/dpkg/status' }]
 */
export const dpkgAnalyser = perFileAnalyser(
  'dpkg',
  (path) => path === STATUS_PATH || (STATUS_D_FILE.test(path) && !path.endsWith('.md5sums')),
  (content, path) => parseControlStanzas(content.toString('utf8')).flatMap((stanza) => packageOf(stanza, path) ?? []),
);
