/** The progress reporters: plain lines, nothing with --quiet, a status redrawn in place on a terminal. */
import { describe, expect, it } from 'vitest';
import { formatBytes, PlainReporter, QuietReporter, reporterFor, shortDigest, TerminalReporter, transferLine } from './progress.ts';
import { screenOf } from './terminal-testing.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function stream(isTTY?: boolean, columns?: number) {
  const out = { text: '', isTTY, columns, write: (text: string) => (out.text += text) };
  return out;
}

describe('formatBytes and transferLine', () => {
  it('counts bytes in powers of 1000 with one decimal above a kilobyte', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 KB');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(5e12)).toBe('5.0 TB');
  });

  it('shows the short digest, a bar, the percentage and the bytes', () => {
    expect(shortDigest(DIGEST)).toBe('0123456789ab');
    expect(transferLine(DIGEST, 500, 1000)).toBe('0123456789ab [==========>         ]  50%  500 B / 1.0 KB');
    expect(transferLine(DIGEST, 0, 1000)).toBe('0123456789ab [>                   ]   0%  0 B / 1.0 KB');
    expect(transferLine(DIGEST, 1000, 1000)).toBe('0123456789ab [====================] 100%  1.0 KB / 1.0 KB');
    expect(transferLine(DIGEST, 0, 0)).toContain('100%');
  });
});

describe('reporterFor', () => {
  it('picks quiet over everything, then a terminal, then plain lines', () => {
    expect(reporterFor(stream(true), true)).toBeInstanceOf(QuietReporter);
    expect(reporterFor(stream(true), false)).toBeInstanceOf(TerminalReporter);
    expect(reporterFor(stream(false), false)).toBeInstanceOf(PlainReporter);
    expect(reporterFor(stream(), false)).toBeInstanceOf(PlainReporter);
  });

  it('plain: lines as they are, no status, no escape codes', () => {
    const out = stream();
    const report = reporterFor(out, false);
    report.status('[1/2] copy . /app…');
    report.line('[1/2] copy . /app');
    report.transfer(DIGEST, 10, 100);
    report.line('0123456789ab: pushed');
    report.clear();
    expect(out.text).toBe('[1/2] copy . /app\n0123456789ab: pushed\n');
  });

  it('quiet: nothing at all', () => {
    const out = stream(true);
    const report = reporterFor(out, true);
    report.line('a line');
    report.status('a status');
    report.transfer(DIGEST, 1, 2);
    report.clear();
    expect(out.text).toBe('');
  });
});

describe('TerminalReporter', () => {
  it('redraws the status in place and keeps it below the lines that stay', () => {
    const out = stream(true, 80);
    const report = new TerminalReporter(out);
    report.status('[1/2] copy . /app…');
    expect(screenOf(out.text)).toEqual(['[1/2] copy . /app…']);
    report.line('[1/2] copy . /app');
    report.status('[2/2] env…');
    expect(screenOf(out.text)).toEqual(['[1/2] copy . /app', '[2/2] env…']);
    report.transfer(DIGEST, 250, 1000);
    report.transfer(DIGEST, 1000, 1000);
    expect(screenOf(out.text)).toEqual(['[1/2] copy . /app', transferLine(DIGEST, 1000, 1000)]);
    report.clear();
    report.line('0123456789ab: pushed');
    expect(screenOf(out.text)).toEqual(['[1/2] copy . /app', '0123456789ab: pushed', '']);
  });

  it('writes nothing for a status that has not changed, and nothing to clear when none shows', () => {
    const out = stream(true, 80);
    const report = new TerminalReporter(out);
    report.clear();
    expect(out.text).toBe('');
    report.status('same');
    const once = out.text;
    report.status('same');
    expect(out.text).toBe(once);
  });

  it('redraws a transfer at most every 100 ms, but always its start and its end', () => {
    const out = stream(true, 80);
    let time = 1000;
    const report = new TerminalReporter(out, () => time);
    report.transfer(DIGEST, 0, 1000);
    report.transfer(DIGEST, 100, 1000);
    time += 50;
    report.transfer(DIGEST, 200, 1000);
    expect(screenOf(out.text)).toEqual([transferLine(DIGEST, 0, 1000)]);
    time += 60;
    report.transfer(DIGEST, 300, 1000);
    expect(screenOf(out.text)).toEqual([transferLine(DIGEST, 300, 1000)]);
    report.transfer(DIGEST, 1000, 1000);
    expect(screenOf(out.text)).toEqual([transferLine(DIGEST, 1000, 1000)]);
  });

  it('cuts a status to the terminal width, so that it never wraps', () => {
    const out = stream(true, 20);
    const report = new TerminalReporter(out);
    report.status('x'.repeat(50));
    expect(screenOf(out.text)).toEqual(['x'.repeat(19)]);
  });
});
