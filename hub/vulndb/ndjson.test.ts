import { describe, expect, it } from 'vitest';
import { ndjsonLines, type NdjsonLine } from './ndjson.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

async function* chunks(...pieces: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield typeof piece === 'string' ? bytes(piece) : piece;
}

async function collect(stream: AsyncIterable<Uint8Array>, max = 1024): Promise<NdjsonLine[]> {
  const lines: NdjsonLine[] = [];
  for await (const line of ndjsonLines(stream, max)) lines.push(line);
  return lines;
}

describe('ndjsonLines', () => {
  it('splits lines across and within chunks, numbering blank lines without handing them out', async () => {
    expect(await collect(chunks('{"a":', '1}\n{"b":2}\n\n  \n{"c"', ':3}'))).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, text: '{"b":2}' },
      { number: 5, text: '{"c":3}' },
    ]);
  });

  it('takes a final newline and CRLF line ends', async () => {
    expect(await collect(chunks('{"a":1}\r\n{"b":2}\n'))).toEqual([
      { number: 1, text: '{"a":1}\r' },
      { number: 2, text: '{"b":2}' },
    ]);
  });

  it('reports a line over the cap with its length and goes on after it', async () => {
    const long = 'x'.repeat(30);
    expect(await collect(chunks('ok\n', long.slice(0, 12), long.slice(12), '\nafter\n', long), 20)).toEqual([
      { number: 1, text: 'ok' },
      { number: 2, tooLong: true, bytes: 30 },
      { number: 3, text: 'after' },
      { number: 4, tooLong: true, bytes: 30 },
    ]);
  });

  it('keeps multi-byte characters split between chunks whole, and reports a line that is not UTF-8', async () => {
    const euro = bytes('"€"');
    expect(await collect(chunks(euro.subarray(0, 2), euro.subarray(2), '\n', new Uint8Array([0xff, 0xfe]), '\n"ok"'))).toEqual([
      { number: 1, text: '"€"' },
      { number: 2, notUtf8: true },
      { number: 3, text: '"ok"' },
    ]);
  });

  it('does not keep chunks it was handed, which a stream may reuse', async () => {
    const buffer = bytes('abc');
    async function* reused(): AsyncGenerator<Uint8Array> {
      yield buffer;
      buffer.set(bytes('xyz'));
      yield bytes('\n');
    }
    expect(await collect(reused())).toEqual([{ number: 1, text: 'abc' }]);
  });
});
