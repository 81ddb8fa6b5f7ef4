/** How the catalog writes sizes, times and digests: the same everywhere. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/**
 * A time as UTC, to the minute (the full instant is in the element's `datetime`).
 *
 * @example
 * formatTime('2026-11-29T04:20:11Z'); // '2026-11-29 04:20 UTC'
 */
export function formatTime(time: string | Date | null | undefined): string {
  if (!time) return '—';
  const date = typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * How long ago, in the largest whole unit.
 *
 * @example
 * formatAge(new Date(Date.now() - 3 * 3600_000)); // '3 hours ago'
 */
export function formatAge(time: string | Date | null | undefined, now = Date.now()): string {
  if (!time) return 'never';
  const date = typeof time === 'string' ? new Date(time) : time;
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (Number.isNaN(seconds)) return '—';
  if (seconds < 60) return 'just now';
  const steps: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [30 * 86_400, 'month'],
    [365 * 86_400, 'year'],
  ];
  let chosen: [number, string] = steps[0]!;
  for (const step of steps) if (seconds >= step[0]) chosen = step;
  const count = Math.floor(seconds / chosen[0]);
  return `${count} ${chosen[1]}${count === 1 ? '' : 's'} ago`;
}

/**
 * The start of a digest's hex, enough to tell images apart.
 *
 * @example
 * shortDigest('sha256:0123456789abcdef…'); // 'sha256:0123456789ab'
 */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon === -1 ? digest.slice(0, 12) : digest.slice(0, colon + 13);
}
