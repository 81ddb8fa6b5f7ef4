/**
 * A container's log, `log.jsonl` in its directory: one JSON object a line, Docker's json-file
 * shape (`{"time","stream","log"}`). Writing it as output arrives, and reading it back for
 * `logs`: the last lines, those since a time, and following it while the container runs.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

/** Which of the container's outputs a line came from. */
export type LogStream = 'stdout' | 'stderr';

/** One line of the log. */
export interface LogEntry {
  /** RFC 3339 with nanosecond digits, UTC. */
  time: string;
  stream: LogStream;
  /** The line with its newline; without one only for a last line the process did not end. */
  log: string;
}

/** The log's file name in a container's directory. */
export const LOG_FILE = 'log.jsonl';

/** A line longer than this is cut into entries of this size, as Docker does. */
const MAX_LINE = 16 * 1024;

// Wall-clock time at start plus the monotonic clock since: nanosecond digits that keep order.
const wallStartNs = BigInt(Date.now()) * 1_000_000n;
const monotonicStart = process.hrtime.bigint();

/**
 * The time now as RFC 3339 with nine fractional digits: `2026-11-28T22:05:25.477803123Z`.
 *
 * @example
 * logTime(); // '2026-11-28T22:05:25.477803123Z'
 */
export function logTime(): string {
  const ns = wallStartNs + (process.hrtime.bigint() - monotonicStart);
  const ms = Number(ns / 1_000_000n);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

/**
 * Milliseconds since the epoch of a log time (digits past the millisecond are dropped);
 * NaN when it is not one.
 *
 * @example
 * parseLogTime('2026-11-28T22:05:25.477803123Z'); // 1795903525477
 */
export function parseLogTime(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+/, '$1'));
}

/**
 * Appends a container's output to its log as entries, one a line: each stream is cut into
 * lines on its own (a line split across chunks stays one entry), and entries go to the file in
 * the order their lines were completed.
 *
 * @example
 * const log = new LogWriter(join(store.dir(id), LOG_FILE));
 * log.write('stdout', 'hello\nwor');
 * log.write('stdout', 'ld\n');
 * await log.close(); // two entries: "hello\n", "world\n"
 */
export class LogWriter {
  #file: WriteStream;
  #pending: Record<LogStream, string> = { stdout: '', stderr: '' };
  #decoders: Record<LogStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  #failed: Error | undefined;

  constructor(path: string) {
    this.#file = createWriteStream(path, { flags: 'a', mode: 0o600 });
    // A log that cannot be written must not take the container down; close() reports it.
    this.#file.on('error', (err) => (this.#failed = err));
  }

  /** Takes a chunk of `stream`'s output (bytes or text); returns it as text. */
  write(stream: LogStream, chunk: Buffer | string): string {
    const text = typeof chunk === 'string' ? chunk : this.#decoders[stream].write(chunk);
    let pending = this.#pending[stream] + text;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      this.#entry(stream, pending.slice(0, newline + 1));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    while (pending.length >= MAX_LINE) {
      this.#entry(stream, pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
    this.#pending[stream] = pending;
    return text;
  }

  /** Writes what `stream` has of an unfinished line as an entry of its own. */
  flush(stream: LogStream): void {
    const rest = this.#pending[stream] + this.#decoders[stream].end();
    this.#pending[stream] = '';
    if (rest) this.#entry(stream, rest);
  }

  /** Flushes both streams and closes the file; rejects when a write failed. */
  async close(): Promise<void> {
    this.flush('stdout');
    this.flush('stderr');
    await new Promise<void>((resolve) => this.#file.end(resolve));
    if (this.#failed) throw this.#failed;
  }

  #entry(stream: LogStream, log: string): void {
    const entry: LogEntry = { time: logTime(), stream, log };
    this.#file.write(`${JSON.stringify(entry)}\n`);
  }
}

/** What {@link readLogs} reads. */
export interface ReadLogsOptions {
  /** Only the last this many entries. */
  tail?: number;
  /** Only entries written at or after this time. */
  since?: Date;
  /** Keep reading what is appended until the container has ended and the log is drained. */
  follow?: boolean;
  /** Whether the container still runs (and may write more); without it, following never ends by itself. */
  isRunning?: () => Promise<boolean>;
}

/** How often a followed log is looked at for more. */
const FOLLOW_POLL_MS = 100;
/** How much is read at a time. */
const CHUNK = 64 * 1024;

/**
 * The offset where the last `count` complete lines of the file begin, reading backwards in
 * chunks so that a big log is not read whole. An unfinished last line does not count.
 */
async function tailOffset(handle: FileHandle, size: number, count: number): Promise<number> {
  // The last newline ends the last complete line; the one before the last `count` lines is the (count+1)th from the end.
  let newlines = 0;
  let end = size;
  const buffer = Buffer.alloc(CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buffer[i] === 0x0a && ++newlines === count + 1) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

/** An entry from a line of the log, or undefined when the line is not one (torn or foreign). */
function parseEntry(line: string): LogEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<LogEntry>;
    if (typeof value.time === 'string' && (value.stream === 'stdout' || value.stream === 'stderr') && typeof value.log === 'string') return value as LogEntry;
  } catch {
    // Not JSON: a line cut short by a crash; skipped.
  }
  return undefined;
}

/**
 * The entries of the log in `containerDir`, oldest first: the last `tail` ones (found by
 * reading the file backwards), those at or after `since`; with `follow`, then every entry
 * appended, until `isRunning` says the container has ended and everything written is read.
 * An unfinished last line is waited for while following and skipped otherwise.
 *
 * @example
 * for await (const entry of readLogs(store.dir(id), { tail: 10, follow: true, isRunning })) process[entry.stream].write(entry.log);
 */
export async function* readLogs(containerDir: string, options: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const path = join(containerDir, LOG_FILE);
  const since = options.since?.getTime();
  let handle: FileHandle | undefined;
  try {
    let offset = 0;
    let started = false;
    let rest = '';
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      // Asked before reading, so that what was written before the container ended is read after.
      const running = options.follow ? await (options.isRunning?.() ?? Promise.resolve(true)) : false;
      if (!handle) handle = await open(path, 'r').catch(() => undefined);
      if (handle) {
        const { size } = await handle.stat();
        if (!started) {
          offset = options.tail === undefined ? 0 : await tailOffset(handle, size, options.tail);
          started = true;
        }
        // A log that shrank was replaced or truncated: start over at its beginning.
        if (size < offset) {
          offset = 0;
          rest = '';
        }
        while (offset < size) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, size - offset), offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          const lines = (rest + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) {
            const entry = parseEntry(line);
            if (entry && (since === undefined || parseLogTime(entry.time) >= since)) yield entry;
          }
        }
      }
      if (!running) return;
      await sleep(FOLLOW_POLL_MS);
    }
  } finally {
    await handle?.close();
  }
}

/** Go-style duration units `parseSince` takes, in milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The time a `--since` value means: a duration back from `now` (`45s`, `10m`, `1h30m`,
 * `1.5h`, `500ms`), an RFC 3339 time (`2026-11-28T22:00:00Z`, `…+01:00`, fractions allowed),
 * or unix seconds (`1764367200`, `1764367200.5`). Throws an Error saying what is accepted.
 *
 * @example
 * parseSince('1h30m', new Date('2026-01-01T12:00:00Z')); // 2026-01-01T10:30:00.000Z
 */
export function parseSince(text: string, now = new Date()): Date {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) {
    let total = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * (UNITS[unit ?? ''] ?? 0);
    return new Date(now.getTime() - total);
  }
  if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value)) {
    const time = parseLogTime(value.replace(' ', 'T').toUpperCase());
    if (!Number.isNaN(time)) return new Date(time);
  }
  throw new Error(`invalid --since value "${text}": give a duration (45s, 10m, 1h30m), an RFC 3339 time (2026-11-28T22:00:00Z) or unix seconds`);
}
