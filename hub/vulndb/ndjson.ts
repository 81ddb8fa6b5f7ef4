/**
 * Newline-delimited JSON, read as it arrives: a byte stream is split into lines without ever
 * holding more than one line, and a line longer than the cap is skipped (reported, not kept), so
 * that a request body of any size costs the memory of its longest acceptable line.
 */

/** One line of the stream, numbered from 1; blank lines are not handed out but are counted. */
export type NdjsonLine =
  | { number: number; text: string }
  /** A line longer than the cap: its bytes were dropped as they came. */
  | { number: number; tooLong: true; bytes: number }
  /** A line that is not UTF-8. */
  | { number: number; notUtf8: true };

const NEWLINE = 0x0a;

/**
 * The lines of `stream`, in order. `maxLineBytes` caps one line (without its newline); a longer
 * one is reported as `tooLong` and reading goes on after its newline.
 *
 * @example
 * for await (const line of ndjsonLines(c.req.raw.body, 8 * 1024 * 1024)) {
 *   if ('text' in line) JSON.parse(line.text);
 * }
 */
export async function* ndjsonLines(stream: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Uint8Array[] = [];
  let size = 0;
  let tooLong = false;
  let number = 0;

  const finish = (): NdjsonLine | undefined => {
    number += 1;
    const length = size;
    const chunks = parts;
    const dropped = tooLong;
    parts = [];
    size = 0;
    tooLong = false;
    if (dropped) return { number, tooLong: true, bytes: length };
    let text: string;
    try {
      text = decoder.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    } catch {
      return { number, notUtf8: true };
    }
    return text.trim() === '' ? undefined : { number, text };
  };
  const keep = (piece: Uint8Array) => {
    size += piece.length;
    if (tooLong) return;
    if (size > maxLineBytes) {
      // Past the cap nothing of the line is kept: only its length, for the report.
      tooLong = true;
      parts = [];
      return;
    }
    // A copy: the stream may reuse its buffer for the next chunk.
    if (piece.length > 0) parts.push(Buffer.from(piece));
  };

  for await (const chunk of stream) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, end));
      start = end + 1;
      const line = finish();
      if (line) yield line;
    }
    keep(chunk.subarray(start));
  }
  if (size > 0 || tooLong) {
    const line = finish();
    if (line) yield line;
  }
}
