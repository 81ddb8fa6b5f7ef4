/**
 * Rust crates, from `Cargo.lock` files shipped in an image: each `[[package]]` table's `name`
 * and `version`. Only the simple `key = "value"` lines the lock file format uses are read.
 */
import type { InstalledPackage } from './types.ts';
import { perFileAnalyser } from './per-file.ts';

const LOCK_FILE = /(?:^|\/)Cargo\.lock$/;

function cratesOf(content: Buffer, path: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  // Each table starts at a `[[package]]` header and runs to the next header of any kind.
  for (const table of content.toString('utf8').split(/^\[/m)) {
    if (!table.startsWith('[package]]')) continue;
    const field = (key: string) => new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm').exec(table)?.[1];
    const name = field('name');
    const version = field('version');
    if (name && version) found.push({ type: 'cargo', name, version, path });
  }
  return found;
}

/**
 * The Cargo.lock analyser.
 *
 * @example
 * const lock = Buffer.from('version = 3\n\n[[package]]\nname = "serde"\nversion = "1.0.193"\n');
 * cargoAnalyser.analyse(new Map([['app/Cargo.lock', lock]]));
 * // [{ type: 'cargo', name: 'serde', version: '1.0.193', path: 'app/Cargo.lock' }]
 */
export const cargoAnalyser = perFileAnalyser('cargo', (path) => LOCK_FILE.test(path), cratesOf);
