/**
 * RubyGems, from the installed specifications RubyGems writes for every gem:
 * `…/specifications/NAME-VERSION.gemspec`, Ruby source whose `s.name` and `s.version` lines
 * name the gem. Only those literal assignments are read; the file is never evaluated.
 */
import type { InstalledPackage } from './types.ts';
import { perFileAnalyser } from './per-file.ts';

const GEMSPEC = /(?:^|\/)specifications\/[^/]+\.gemspec$/;

/** The string a `s.FIELD = "…"` (or `'…'`, or `.freeze`d) line assigns, if there is one. */
function assigned(source: string, field: string): string | undefined {
  const match = new RegExp(`^\\s*\\w+\\.${field}\\s*=\\s*(?:Gem::Version\\.new\\()?["']([^"']+)["']`, 'm').exec(source);
  return match?.[1];
}

function gemOf(content: Buffer, path: string): InstalledPackage[] {
  const source = content.toString('utf8');
  const name = assigned(source, 'name');
  const version = assigned(source, 'version');
  if (!name || !version) return [];
  const found: InstalledPackage = { type: 'gem', name, version, path };
  const license = assigned(source, 'license') ?? /^\s*\w+\.licenses\s*=\s*\[\s*["']([^"']+)["']/m.exec(source)?.[1];
  if (license) found.licenses = [license];
  return [found];
}

/**
 * The RubyGems analyser.
 *
 * @example
 * const spec = Buffer.from('Gem::Specification.new do |s|\n  s.name = "rack".freeze\n  s.version = "3.0.8"\nend\n');
 * gemAnalyser.analyse(new Map([['usr/lib/ruby/gems/3.1.0/specifications/rack-3.0.8.gemspec', spec]]));
 * // [{ type: 'gem', name: 'rack', version: '3.0.8', path: '…/rack-3.0.8.gemspec' }]
 */
export const gemAnalyser = perFileAnalyser('gem', (path) => GEMSPEC.test(path), gemOf);
