import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zipEntries, zipEntryData } from './zip.ts';

const directory = mkdtempSync(join(tmpdir(), 'zip-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A zip made by Info-ZIP's `zip` from `files`, with its extra arguments. */
function zip(files: Record<string, string>, ...options: string[]): Buffer {
  const root = mkdtempSync(join(directory, 'tree-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  execFileSync('zip', ['-q', '-r', ...options, 'out.zip', ...Object.keys(files)], { cwd: root });
  return readFileSync(join(root, 'out.zip'));
}

describe('zip reader', () => {
  const text = 'hello '.repeat(1000);

  it.each([
    ['deflated', []],
    ['stored', ['-0']],
    ['ZIP64', ['-fz']],
  ])('lists and reads %s entries', (_name, options) => {
    const archive = zip({ 'a/b.txt': text, 'c.txt': 'c' }, ...options);
    const entries = zipEntries(archive) ?? [];
    expect(entries.map((entry) => entry.name).filter((name) => !name.endsWith('/'))).toEqual(['a/b.txt', 'c.txt']);
    const b = entries.find((entry) => entry.name === 'a/b.txt');
    expect(b && zipEntryData(archive, b, 1 << 20)?.toString()).toBe(text);
  });

  it('refuses to inflate past the cap, and what is not a zip', () => {
    const archive = zip({ 'big.txt': text });
    const [entry] = zipEntries(archive) ?? [];
    expect(entry && zipEntryData(archive, entry, 100)).toBeUndefined();
    // A central directory that understates the size is caught by the inflation cap too.
    expect(entry && zipEntryData(archive, { ...entry, size: 10 }, 100)).toBeUndefined();
    expect(zipEntries(Buffer.from('PK\x03\x04 not really a zip at all, no end record'))).toBeUndefined();
    for (let length = 0; length < archive.length; length += 9) expect(() => zipEntries(archive.subarray(0, length))).not.toThrow();
  });
});
