/**
 * What a command tells the person watching it on stderr while it works: finished steps and
 * blobs as lines that stay, and on a terminal one status line — the blob being transferred or
 * the step under way — redrawn in place. Elsewhere (pipes, CI, tests) only the lines, and with
 * `--quiet` nothing at all.
 */

/** Where a reporter writes; `isTTY` and `columns` as on `process.stderr`. */
export interface ReportStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What a command reports while it works. */
export interface Reporter {
  /** A line that stays: a finished step or blob, a note. */
  line(text: string): void;
  /** What is under way now; shown only on a terminal, replacing the previous status. */
  status(text: string): void;
  /** How far a blob transfer is; shown as the status on a terminal. */
  transfer(digest: string, done: number, total: number): void;
  /** Removes the status, before the result or an error is printed. */
  clear(): void;
}

/** The short form of a digest people recognise from other tools: 12 hex digits. */
export function shortDigest(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1).slice(0, 12);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/**
 * A byte count for people, in powers of 1000 as docker shows them.
 *
 * @example
 * formatBytes(999); // '999 B'
 * formatBytes(1_234_567); // '1.2 MB'
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} ${UNITS[0]}` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

const BAR_WIDTH = 20;

/**
 * One blob's transfer as a status line.
 *
 * @example
 * transferLine('sha256:0123456789abcdef…', 500, 1000); // '0123456789ab [==========>         ]  50%  500 B / 1000 B'
 */
export function transferLine(digest: string, done: number, total: number): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${shortDigest(digest)} [${bar}] ${percent}  ${formatBytes(done)} / ${formatBytes(total)}`;
}

/** Reports nothing: `--quiet`. */
export class QuietReporter implements Reporter {
  line(): void {}
  status(): void {}
  transfer(): void {}
  clear(): void {}
}

/** Lines only, exactly as they are: for pipes, CI logs and tests. */
export class PlainReporter implements Reporter {
  constructor(private readonly out: ReportStream) {}
  line(text: string): void {
    this.out.write(`${text}\n`);
  }
  status(): void {}
  transfer(): void {}
  clear(): void {}
}

// Carriage return, then erase the whole line: the cursor is back at its start.
const ERASE_LINE = '\r\u001b[2K';

// A transfer's chunks come far faster than anyone reads; ten redraws a second are plenty.
const TRANSFER_REDRAW_MS = 100;

/** Lines, plus one status line at the bottom that is redrawn in place. */
export class TerminalReporter implements Reporter {
  private current: string | undefined;
  private lastTransferDraw = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: ReportStream,
    private readonly now: () => number = Date.now,
  ) {}

  line(text: string): void {
    // The line takes the status's place; the status comes back below it.
    this.out.write(`${ERASE_LINE}${text}\n`);
    if (this.current !== undefined) this.out.write(this.current);
  }

  status(text: string): void {
    const fitted = this.fit(text);
    if (fitted === this.current) return;
    this.current = fitted;
    this.out.write(`${ERASE_LINE}${fitted}`);
  }

  transfer(digest: string, done: number, total: number): void {
    // The start and the end of a transfer always show; what lies between, at most every 100 ms.
    const time = this.now();
    if (done !== 0 && done < total && time - this.lastTransferDraw < TRANSFER_REDRAW_MS) return;
    this.lastTransferDraw = time;
    this.status(transferLine(digest, done, total));
  }

  clear(): void {
    if (this.current === undefined) return;
    this.current = undefined;
    this.out.write(ERASE_LINE);
  }

  /** Cut to the terminal's width: a status that wraps cannot be erased with one line. */
  private fit(text: string): string {
    const width = this.out.columns;
    return width !== undefined && width > 1 && text.length >= width ? text.slice(0, width - 1) : text;
  }
}

/**
 * The reporter for a command's stderr: nothing when `quiet`, a redrawn status on a terminal,
 * plain lines anywhere else.
 */
export function reporterFor(out: ReportStream, quiet: boolean): Reporter {
  if (quiet) return new QuietReporter();
  return out.isTTY === true ? new TerminalReporter(out) : new PlainReporter(out);
}
