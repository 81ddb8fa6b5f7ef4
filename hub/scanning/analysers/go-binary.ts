/**
 * Go modules compiled into executables, from the build info the Go toolchain embeds: the main
 * module, every dependency (as replaced, when a `replace` directive swapped it), and the
 * standard library at the toolchain's version. The scanner keeps only the build info of each
 * ELF executable, as `<path>#go-buildinfo` (see {@link goBuildInfoExtractor}); packages name
 * the executable's own path. Binaries from Go before 1.18 keep their build info in a pointer
 * format that is not read: they list nothing.
 */
import { ELF_MAGIC } from '../binary/elf.ts';
import { type GoModule, goBuildInfoBlob, GoBuildInfoScanner, parseGoBuildInfo, stdlibVersion } from '../binary/go-buildinfo.ts';
import type { FileExtractor } from '../layer-files.ts';
import { extractAnalyser } from './per-file.ts';
import type { Analyser, InstalledPackage } from './types.ts';

/** The extract name, and so the suffix of the synthetic paths this analyser reads. */
export const GO_BUILDINFO = 'go-buildinfo';
/**
 * Whether the tar header describes a file that could be an executable worth opening: a regular
 * file with an execute bit, not empty.
 *
 * @example
 * isExecutableCandidate({ mode: 0o755, size: 12_000_000 }); // true
 */
export function isExecutableCandidate({ mode, size }: { mode: number; size: number }): boolean {
  return (mode & 0o111) !== 0 && size > 0;
}

/**
 * Keeps the Go build info blob of ELF executables: read from its section when the scanner holds
 * the binary whole, found by its magic as the bytes stream by when the binary is too large.
 *
 * @example
 * await readImageFiles(layers, isScannedPath, DEFAULT_SCAN_LIMITS, [goBuildInfoExtractor]);
 */
export const goBuildInfoExtractor: FileExtractor = {
  name: GO_BUILDINFO,
  magic: ELF_MAGIC,
  wants: (_path, header) => isExecutableCandidate(header),
  extract: (data) => goBuildInfoBlob(data),
  scanner: () => new GoBuildInfoScanner(),
};

function packageOf(module: GoModule, path: string): InstalledPackage {
  const built = module.replacement ?? module;
  return { type: 'golang', name: built.path, version: built.version, path };
}

function modulesOf(blob: Buffer, path: string): InstalledPackage[] {
  const info = parseGoBuildInfo(blob);
  if ('unsupported' in info) return [];
  const found: InstalledPackage[] = [];
  // A module built from its own checkout says `(devel)`: no version to match.
  if (info.main && info.main.version && info.main.version !== '(devel)') found.push(packageOf(info.main, path));
  for (const dep of info.deps) {
    const pkg = packageOf(dep, path);
    // A replacement by a local directory has no version.
    if (pkg.version) found.push(pkg);
  }
  const stdlib = stdlibVersion(info.goVersion);
  if (stdlib) found.push({ type: 'golang', name: 'stdlib', version: stdlib, path });
  return found;
}

/**
 * The Go binary analyser: module versions as Go writes them (`v1.2.3`), the standard library as
 * OSV's `stdlib` does (`1.21.3`).
 *
 * @example
 * goBinaryAnalyser.analyse(new Map([['usr/bin/app#go-buildinfo', blob]]));
 * // [{ type: 'golang', name: 'github.com/spf13/cobra', version: 'v1.7.0', path: 'usr/bin/app' }, …, { type: 'golang', name: 'stdlib', version: '1.21.3', path: 'usr/bin/app' }]
 */
export const goBinaryAnalyser: Analyser = extractAnalyser('go-binary', GO_BUILDINFO, modulesOf);
