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
    const record = (key: string, value: string) => {
      const body = ` ${key}=${value}\n`;
      let length = body.length + 1;
      while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
      return `${length}${body}`;
    };
    const pax = record('path', `${'long/'.repeat(40)}name`);
    const header = ustarHeader({ path: 'PaxHeader', type: 'x' }, pax.length);
    const body = Buffer.alloc(Math.ceil(pax.length / 512) * 512);
    body.write(pax);
    const tar = Buffer.concat([header, body, rawTar([{ path: 'short', content: 'x' }])]);
    expect(await paths(tar)).toEqual([`${'long/'.repeat(40)}name`]);
  });

  it('refuses an extended header larger than allowed before reading it', async () => {
    const header = ustarHeader({ path: 'PaxHeader', type: 'x' }, 2 * 1024 * 1024);
    await expect(paths(header)).rejects.toThrow('tar extended header of 2097152 bytes is larger than the 1048576 allowed');
    await expect(paths(header, 4 * 1024 * 1024)).rejects.toThrow('ends in the middle');
  });
});
