import { describe, expect, it } from 'vitest';
import { readTar } from './tar-reader.ts';
import { rawTar, ustarHeader } from './testing-archives.ts';

async function paths(tar: Buffer, maxExtendedHeaderBytes?: number): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of readTar([tar], maxExtendedHeaderBytes === undefined ? {} : { maxExtendedHeaderBytes })) found.push(entry.path);
  return found;
}

describe('readTar', () => {
  it('reads entries in order, skipping content left unread', async () => {
    expect(await paths(rawTar([{ path: 'a', content: 'x'.repeat(700) }, { path: 'b', type: '5' }]))).toEqual(['a', 'b']);
  });

  it('applies a PAX path', async () => {
    const long = `${'long/'.repeat(40)}name`;
    expect(await paths(rawTar([{ path: 'short', pax: { path: long }, content: 'x' }]))).toEqual([long]);
  });

  it('refuses an extended header larger than allowed before reading it', async () => {
    const header = ustarHeader({ path: 'PaxHeader', type: 'x' }, 2 * 1024 * 1024);
    await expect(paths(header)).rejects.toThrow('tar extended header of 2097152 bytes is larger than the 1048576 allowed');
    await expect(paths(header, 4 * 1024 * 1024)).rejects.toThrow('ends in the middle');
  });
});
