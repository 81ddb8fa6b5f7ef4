import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globToRegex, loadIgnore, parseIgnore } from './ignore.ts';

describe('.nockerignore', () => {
  it('matches *, ? and character classes within one path component', () => {
    expect(globToRegex('*.log').test('a.log')).toBe(true);
    expect(globToRegex('*.log').test('dir/a.log')).toBe(false);
    expect(globToRegex('file?.txt').test('file1.txt')).toBe(true);
    expect(globToRegex('file?.txt').test('file10.txt')).toBe(false);
    expect(globToRegex('[ab].c').test('b.c')).toBe(true);
    expect(globToRegex('[!ab].c').test('b.c')).toBe(false);
  });

  it('matches ** across directories', () => {
    const ignore = parseIgnore('**/*.tmp\nbuild/**\n');
    expect(ignore.ignores('x.tmp', false)).toBe(true);
    expect(ignore.ignores('a/b/c/x.tmp', false)).toBe(true);
    expect(ignore.ignores('build/out/bin', false)).toBe(true);
    expect(ignore.ignores('src/main.ts', false)).toBe(false);
  });

  it('skips comments and blank lines; a leading / or ./ is the context root', () => {
    const ignore = parseIgnore('# a comment\n\n/secret.txt\n./cache\n');
    expect(ignore.rules).toHaveLength(2);
    expect(ignore.ignores('secret.txt', false)).toBe(true);
    expect(ignore.ignores('sub/secret.txt', false)).toBe(false);
    expect(ignore.ignores('cache/a/b', false)).toBe(true);
  });

  it('lets the last match win, so ! re-includes', () => {
    const ignore = parseIgnore('*.md\n!README.md\n');
    expect(ignore.ignores('CHANGES.md', false)).toBe(true);
    expect(ignore.ignores('README.md', false)).toBe(false);
    expect(ignore.hasNegations).toBe(true);
    const again = parseIgnore('!README.md\n*.md\n');
    expect(again.ignores('README.md', false)).toBe(true);
  });

  it('excludes what an excluded directory holds; a trailing / matches directories only', () => {
    const ignore = parseIgnore('logs/\n');
    expect(ignore.ignores('logs', true)).toBe(true);
    expect(ignore.ignores('logs', false)).toBe(false);
    expect(ignore.ignores('logs/today.txt', false)).toBe(true);
    const reinclude = parseIgnore('docs\n!docs/keep.txt\n');
    expect(reinclude.ignores('docs/other.txt', false)).toBe(true);
    expect(reinclude.ignores('docs/keep.txt', false)).toBe(false);
  });

  it('reads the file at the context root, and ignores nothing without one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocker-ignore-'));
    try {
      expect((await loadIgnore(dir)).ignores('anything', false)).toBe(false);
      await writeFile(join(dir, '.nockerignore'), 'anything\n');
      expect((await loadIgnore(dir)).ignores('anything', false)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
