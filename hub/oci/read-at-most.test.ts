import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAtMost } from './read-at-most.ts';

describe('readAtMost', () => {
  it('returns the bytes up to the limit, and nothing past it, stopping the stream', async () => {
    expect((await readAtMost(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4))?.toString()).toBe('abcd');
    const stream = Readable.from([Buffer.from('ab'), Buffer.from('cde'), Buffer.from('never read')]);
    expect(await readAtMost(stream, 4)).toBeUndefined();
    expect(stream.destroyed).toBe(true);
  });
});
