import { describe, expect, it } from 'vitest';
import { zipArchive } from '../../oci/testing-zip.ts';
import { zipEntries, zipEntryData } from './zip.ts';

/** A zip of `files`, deflated unless `stored`, with ZIP64 records when `zip64`. */
function zip(files: Record<string, string>, { stored = false, zip64 = false } = {}): Buffer {
  return zipArchive(Object.entries(files).map(([name, content]) => ({ name, content, deflate: !stored })), { zip64 });
}

describe('zip reader', () => {
  const text = 'hello '.repeat(1000);

  it.each([
    ['deflated', {}],
    ['stored', { stored: true }],
    ['ZIP64', { zip64: true }],
  ])('lists and reads %s entries', (_name, options) => {
    const archive = zip({ 'a/b.txt': text, 'c.txt': 'c' }, options);
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
