import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_FILE, LogWriter, logTime, parseLogTime, parseSince, readLogs, type LogEntry, type ReadLogsOptions } from './logs.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(options: ReadLogsOptions = {}): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for await (const entry of readLogs(dir, options)) entries.push(entry);
  return entries;
}

/** A log line as the writer makes it. */
function line(log: string, time = '2026-01-01T00:00:00.000000000Z', stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `${JSON.stringify({ time, stream, log })}\n`;
}

describe('LogWriter', () => {
  it('writes one entry a line, each stream cut on its own, the unfinished rest flushed at close', async () => {
    const writer = new LogWriter(join(dir, LOG_FILE));
    writer.write('stdout', 'one\ntw');
    writer.write('stderr', Buffer.from('err'));
    writer.write('stdout', 'o\nthree');
    writer.write('stderr', '!\n');
    await writer.close();
    const entries = (await readFile(join(dir, LOG_FILE), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as LogEntry);
    expect(entries.map((e) => [e.stream, e.log])).toEqual([
      ['stdout', 'one\n'],
      ['stdout', 'two\n'],
      ['stderr', 'err!\n'],
      ['stdout', 'three'],
    ]);
    for (const entry of entries) expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
    const times = entries.map((e) => e.time);
    expect([...times].sort()).toEqual(times);
  });

  it('keeps a character split across chunks whole', async () => {
    const writer = new LogWriter(join(dir, LOG_FILE));
    const bytes = Buffer.from('héllo\n');
    writer.write('stdout', bytes.subarray(0, 2));
    writer.write('stdout', bytes.subarray(2));
    await writer.close();
    expect((await collect()).map((e) => e.log)).toEqual(['héllo\n']);
  });
});

describe('logTime', () => {
  it('is RFC 3339 with nanosecond digits, close to the clock, and never goes back', () => {
    const a = logTime();
    const b = logTime();
    expect(a).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
    expect(b >= a).toBe(true);
    expect(Math.abs(parseLogTime(a) - Date.now())).toBeLessThan(1000);
  });
});

describe('readLogs', () => {
  it('reads nothing from a container that has no log yet', async () => {
    expect(await collect()).toEqual([]);
    expect(await collect({ tail: 5 })).toEqual([]);
  });

  it('gives the last N entries, skipping a torn last line', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => line(`line ${i}\n`)).join('');
    await writeFile(join(dir, LOG_FILE), `${lines}{"time":"2026-01-01T00:0`);
    expect((await collect({ tail: 3 })).map((e) => e.log)).toEqual(['line 7\n', 'line 8\n', 'line 9\n']);
    expect((await collect({ tail: 100 })).length).toBe(10);
    expect(await collect({ tail: 0 })).toEqual([]);
    expect((await collect()).length).toBe(10);
  });

  it('finds the tail of a log bigger than the chunks it is read backwards in', async () => {
    const filler = 'x'.repeat(1000);
    const lines = Array.from({ length: 500 }, (_, i) => line(`${i} ${filler}\n`)).join('');
    await writeFile(join(dir, LOG_FILE), lines);
    const last = await collect({ tail: 2 });
    expect(last.map((e) => e.log.split(' ')[0])).toEqual(['498', '499']);
    expect((await collect({ tail: 150 }))[0]?.log.split(' ')[0]).toBe('350');
  });

  it('gives the entries since a time', async () => {
    await writeFile(join(dir, LOG_FILE), line('old\n', '2026-01-01T00:00:00.000000000Z') + line('edge\n', '2026-01-01T00:01:00.000000001Z') + line('new\n', '2026-01-01T00:02:00.500000000Z'));
    expect((await collect({ since: new Date('2026-01-01T00:01:00Z') })).map((e) => e.log)).toEqual(['edge\n', 'new\n']);
    expect((await collect({ since: new Date('2026-01-01T00:01:00Z'), tail: 1 })).map((e) => e.log)).toEqual(['new\n']);
  });

  it('follows what is appended, a line finished later included, until the container has ended', async () => {
    await writeFile(join(dir, LOG_FILE), line('first\n'));
    let running = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const entry of readLogs(dir, { follow: true, tail: 1, isRunning: async () => running })) seen.push(entry.log);
    })();
    await sleep(150);
    const half = line('second\n');
    await appendFile(join(dir, LOG_FILE), half.slice(0, 10));
    await sleep(150);
    await appendFile(join(dir, LOG_FILE), half.slice(10) + line('third\n'));
    await sleep(150);
    expect(seen).toEqual(['first\n', 'second\n', 'third\n']);
    await appendFile(join(dir, LOG_FILE), line('last words\n'));
    running = false;
    await reading;
    expect(seen).toEqual(['first\n', 'second\n', 'third\n', 'last words\n']);
  });

  it('waits for a log that does not exist yet when following', async () => {
    let running = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const entry of readLogs(dir, { follow: true, isRunning: async () => running })) seen.push(entry.log);
    })();
    await sleep(120);
    await writeFile(join(dir, LOG_FILE), line('hello\n'));
    await sleep(150);
    running = false;
    await reading;
    expect(seen).toEqual(['hello\n']);
  });
});

describe('parseSince', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  it('takes durations back from now', () => {
    expect(parseSince('10m', now).toISOString()).toBe('2026-06-01T11:50:00.000Z');
    expect(parseSince('1h30m', now).toISOString()).toBe('2026-06-01T10:30:00.000Z');
    expect(parseSince('45s', now).toISOString()).toBe('2026-06-01T11:59:15.000Z');
    expect(parseSince('1.5h', now).toISOString()).toBe('2026-06-01T10:30:00.000Z');
    expect(parseSince('250ms', now).toISOString()).toBe('2026-06-01T11:59:59.750Z');
  });

  it('takes RFC 3339 times and unix seconds', () => {
    expect(parseSince('2026-05-31T08:00:00Z', now).toISOString()).toBe('2026-05-31T08:00:00.000Z');
    expect(parseSince('2026-05-31T08:00:00.123456789+02:00', now).toISOString()).toBe('2026-05-31T06:00:00.123Z');
    expect(parseSince('1780000000', now).toISOString()).toBe(new Date(1_780_000_000_000).toISOString());
    expect(parseSince('1780000000.5', now).getTime()).toBe(1_780_000_000_500);
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of ['', 'yesterday', '10x', '1h 30m', '2026-05-31', '-5m', '2026-13-45T99:00:00Z']) {
      expect(() => parseSince(bad, now), bad).toThrow(/invalid --since value .*duration.*RFC 3339.*unix seconds/);
    }
  });
});
