/**
 * `.nockerignore`: which files of the build context a `copy` step leaves out. The syntax is the
 * one of `.dockerignore` — one glob a line (`*`, `**`, `?`, `[…]`), `#` comments, a leading `!`
 * to re-include, a trailing `/` for directories only — matched against context-relative paths.
 * The last matching pattern wins, and a pattern matching a directory matches all it holds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file read from the root of the build context. */
export const IGNORE_FILE = '.nockerignore';

/** One pattern line, compiled. */
export interface IgnoreRule {
  /** The line as written (without `!`). */
  pattern: string;
  /** `!pattern`: re-includes what earlier patterns excluded. */
  negated: boolean;
  /** A trailing `/`: the pattern matches directories only. */
  directoryOnly: boolean;
  regex: RegExp;
}

/** Compiled `.nockerignore` patterns. */
export interface IgnoreMatcher {
  rules: readonly IgnoreRule[];
  /** Whether any pattern re-includes (then excluded directories are still walked). */
  hasNegations: boolean;
  /** Whether `path` (context-relative, `/`-separated) is left out; `directory` when it is one. */
  ignores(path: string, directory: boolean): boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|\\]/g, '\\$&');
}

/**
 * The regular expression of one glob, matching a whole relative path.
 *
 * @example
 * globToRegex('src/**\/*.ts').test('src/a/b.ts'); // true
 */
export function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        if (atStart && next === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else if (atStart && next === undefined) {
          out += '.*';
          i += 1;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) {
        out += '\\[';
      } else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1] ?? '');
      i += 1;
    } else {
      out += escapeRegex(c);
    }
  }
  return new RegExp(`^${out}$`);
}

/** A pattern's path cleaned as the context's paths are: no leading `/` or `./`, no `.` parts. */
function cleanPattern(pattern: string): string {
  const parts = pattern.split('/').filter((p) => p !== '' && p !== '.');
  return parts.join('/');
}

/**
 * Compiles the text of a `.nockerignore`.
 *
 * @example
 * const ignore = parseIgnore('*.log\n!keep.log\nnode_modules/\n');
 * ignore.ignores('debug.log', false); // true
 * ignore.ignores('keep.log', false);  // false
 * ignore.ignores('node_modules/x/y.js', false); // true
 */
export function parseIgnore(text: string): IgnoreMatcher {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1).trim();
    const directoryOnly = line.endsWith('/');
    const pattern = cleanPattern(line);
    if (pattern === '') continue;
    rules.push({ pattern, negated, directoryOnly, regex: globToRegex(pattern) });
  }
  const matches = (rule: IgnoreRule, path: string, directory: boolean): boolean => {
    if (rule.regex.test(path) && (directory || !rule.directoryOnly)) return true;
    // A pattern matching a parent directory matches everything below it.
    const parts = path.split('/');
    for (let n = parts.length - 1; n > 0; n--) {
      if (rule.regex.test(parts.slice(0, n).join('/'))) return true;
    }
    return false;
  };
  return {
    rules,
    hasNegations: rules.some((r) => r.negated),
    ignores(path: string, directory: boolean): boolean {
      let ignored = false;
      for (const rule of rules) {
        if (rule.negated === ignored && matches(rule, path, directory)) ignored = !rule.negated;
      }
      return ignored;
    },
  };
}

/**
 * Reads `.nockerignore` from the root of `context`; no file means nothing is ignored.
 *
 * @example
 * const ignore = await loadIgnore('/src/app');
 */
export async function loadIgnore(context: string): Promise<IgnoreMatcher> {
  try {
    return parseIgnore(await readFile(join(context, IGNORE_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parseIgnore('');
    throw err;
  }
}
