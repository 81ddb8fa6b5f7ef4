/** Percentiles and summaries of latency samples. */

export interface Summary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/**
 * The p-th percentile (0..100) of ascending `sorted` samples, interpolating linearly between the
 * two closest ranks (numpy's default), so small samples do not jump from one value to the next.
 * NaN for no samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!Number.isFinite(p) || p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (p / 100) * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (rank - lower);
}

/** Count, extremes, mean and p50/p90/p99 of unordered samples (the input is not modified). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  let sum = 0;
  for (const value of values) sum += value;
  const n = values.length;
  return {
    count: n,
    min: n ? (values[0] as number) : Number.NaN,
    max: n ? (values[n - 1] as number) : Number.NaN,
    mean: n ? sum / n : Number.NaN,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
  };
}

/** Bytes per second as MiB/s. */
export function mibPerSecond(bytes: number, ms: number): number {
  return ms > 0 ? bytes / (1024 * 1024) / (ms / 1000) : Number.NaN;
}
