/** Running a task many times with bounded concurrency, count and time. */

export interface PoolOptions {
  /** At most this many tasks in total. */
  count: number;
  concurrency: number;
  /** Stop starting tasks after this long (in-flight ones finish). */
  durationMs?: number;
  /** Aborts the whole run (the workload's time limit). */
  signal?: AbortSignal;
}

export interface PoolResult {
  completed: number;
  /** Milliseconds per completed task, in completion order. */
  latencies: number[];
  elapsedMs: number;
}

/**
 * Runs `task(i)` for i = 0, 1, … with `concurrency` workers until `count` tasks ran or the
 * duration passed. The first failure stops the run and is thrown: a benchmark over errors would
 * measure the wrong thing.
 */
export async function runPool(options: PoolOptions, task: (index: number) => Promise<void>): Promise<PoolResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const stopAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < options.count && performance.now() < stopAt) {
      options.signal?.throwIfAborted();
      const index = next++;
      const t0 = performance.now();
      try {
        await task(index);
      } catch (err) {
        failure ??= err;
        return;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.count)) }, worker));
  if (failure !== undefined) throw failure;
  return { completed: latencies.length, latencies, elapsedMs: performance.now() - started };
}

/** A small seeded PRNG (mulberry32), so both registries see the same "random" sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
