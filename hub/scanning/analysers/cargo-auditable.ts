/**
 * Rust crates compiled into executables built with `cargo auditable`, which embeds the
 * dependency tree as zlib-compressed JSON in an ELF section named `.dep-v0`:
 * `{"packages":[{"name","version","source","kind"?,"dependencies"?,"root"?}]}`.
 *
 * Which crates are listed: those whose `source` is `crates.io`, as only those have advisories
 * to match. The root crate is listed too when it came from crates.io (`cargo install ripgrep`)
 * and not when it is the local project being built (`source: "local"`); `git` and other
 * registries' crates are skipped, as are `kind: "build"` crates (build scripts and proc macros
 * run at compile time and are not in the binary).
 */
import { inflateSync } from 'node:zlib';
import { ELF_MAGIC, elfSection } from '../binary/elf.ts';
import type { FileExtractor } from '../layer-files.ts';
import { isExecutableCandidate } from './go-binary.ts';
import { extractAnalyser } from './per-file.ts';
import type { Analyser, InstalledPackage } from './types.ts';

/** The extract name, and so the suffix of the synthetic paths this analyser reads. */
export const CARGO_AUDITABLE = 'cargo-auditable';
/** The section cargo-auditable writes. */
const SECTION = '.dep-v0';
/** The largest compressed section kept, and the largest JSON inflated from one. */
const MAX_SECTION_BYTES = 1024 * 1024;
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * Keeps the compressed `.dep-v0` section of ELF executables.
 *
 * @example
 * await readImageFiles(layers, isScannedPath, DEFAULT_SCAN_LIMITS, [cargoAuditableExtractor]);
 */
export const cargoAuditableExtractor: FileExtractor = {
  name: CARGO_AUDITABLE,
  magic: ELF_MAGIC,
  wants: (_path, header) => isExecutableCandidate(header),
  extract(data) {
    const section = elfSection(data, SECTION);
    return section && section.length <= MAX_SECTION_BYTES ? Buffer.from(section) : undefined;
  },
};

function cratesOf(compressed: Buffer, path: string): InstalledPackage[] {
  let document: unknown;
  try {
    document = JSON.parse(inflateSync(compressed, { maxOutputLength: MAX_JSON_BYTES }).toString('utf8'));
  } catch {
    return [];
  }
  const packages = (document as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(packages)) return [];
  const found: InstalledPackage[] = [];
  for (const entry of packages as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { name, version, source, kind } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) continue;
    if (source !== 'crates.io' || kind === 'build') continue;
    found.push({ type: 'cargo', name, version, path });
  }
  return found;
}

/**
 * The cargo-auditable analyser.
 *
 * @example
 * const section = deflateSync(JSON.stringify({ packages: [{ name: 'serde', version: '1.0.193', source: 'crates.io' }] }));
 * cargoAuditableAnalyser.analyse(new Map([['usr/bin/app#cargo-auditable', section]]));
 * // [{ type: 'cargo', name: 'serde', version: '1.0.193', path: 'usr/bin/app' }]
 */
export const cargoAuditableAnalyser: Analyser = extractAnalyser('cargo-auditable', CARGO_AUDITABLE, cratesOf);
