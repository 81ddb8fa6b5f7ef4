import { describe, expect, it } from 'vitest';
import { mibPerSecond, percentile, summarize } from './stats.ts';

describe('percentile', () => {
  it('interpolates linearly between the closest ranks', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBeCloseTo(50.5);
    expect(percentile(values, 99)).toBeCloseTo(99.01);
    expect(percentile(values, 90)).toBeCloseTo(90.1);
  });

  it('gives the extremes at 0 and 100', () => {
    expect(percentile([3, 7, 9], 0)).toBe(3);
    expect(percentile([3, 7, 9], 100)).toBe(9);
  });

  it('hits exact ranks without interpolation', () => {
    expect(percentile([10, 20, 30, 40, 50], 50)).toBe(30);
    expect(percentile([10, 20, 30, 40, 50], 25)).toBe(20);
  });

  it('returns the only sample for any p, and NaN for none', () => {
    expect(percentile([42], 1)).toBe(42);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses p outside 0..100', () => {
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts numerically without touching the input', () => {
    const samples = [10, 9, 1, 100, 2];
    const summary = summarize(samples);
    expect(samples).toEqual([10, 9, 1, 100, 2]);
    expect(summary).toMatchObject({ count: 5, min: 1, max: 100, p50: 9 });
    expect(summary.mean).toBeCloseTo(24.4);
    expect(summary.p99).toBeCloseTo(96.4);
  });

  it('is NaN throughout for no samples', () => {
    const summary = summarize([]);
    expect(summary.count).toBe(0);
    expect(summary.p50).toBeNaN();
    expect(summary.mean).toBeNaN();
  });
});

describe('mibPerSecond', () => {
  it('converts bytes over milliseconds', () => {
    expect(mibPerSecond(256 * 1024 * 1024, 2000)).toBe(128);
    expect(mibPerSecond(1, 0)).toBeNaN();
  });
});
