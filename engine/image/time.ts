/** The build's notion of "now": SOURCE_DATE_EPOCH, for reproducible images. */

/**
 * Reads SOURCE_DATE_EPOCH (seconds since the epoch) from `env`; 0 when unset. Throws when it is
 * not a non-negative integer.
 *
 * @example
 * sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' }); // 1700000000
 */
export function sourceDateEpoch(env: Record<string, string | undefined> = process.env): number {
  const text = env.SOURCE_DATE_EPOCH?.trim();
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new Error(`SOURCE_DATE_EPOCH must be a whole number of seconds, got "${text}"`);
  return Number(text);
}

/**
 * The RFC 3339 form of an epoch time, as image configs carry it.
 *
 * @example
 * rfc3339(0); // '1970-01-01T00:00:00Z'
 */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
