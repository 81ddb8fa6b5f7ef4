import { describe, expect, it } from 'vitest';
import { evaluateChecks, mergeRows } from './report.ts';
import type { Metric } from './workloads.ts';

const m = (key: string, value: number | null, better: Metric['better'] = 'higher'): Metric => ({ key, workload: '1 w', metric: key, unit: 'MiB/s', value, better });

describe('mergeRows', () => {
  it('pairs the registries by key, takes medians of repetitions and the ratio hub / vs', () => {
    const rows = mergeRows([m('a.x', 100), m('a.x', 300), m('a.x', 200)], [m('a.x', 50), m('a.x', 150)]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ hub: 200, vs: 100, ratio: 2, hubSamples: [100, 300, 200], vsSamples: [50, 150] });
  });

  it('leaves the ratio out for rows without a direction or without both values', () => {
    const rows = mergeRows([m('a.pages', 10, 'none'), m('a.y', 5)], [m('a.pages', 1, 'none')]);
    expect(rows.map((r) => r.ratio)).toEqual([null, null]);
  });
});

describe('evaluateChecks', () => {
  it('holds throughput to the other registry and to half the machine baseline', () => {
    const rows = mergeRows(
      [m('push-mono.throughput', 90), m('baseline.combined', 150), m('manifest-read.get-rps', 3000), m('push-1g.server-rss', 150, 'lower')],
      [m('push-mono.throughput', 100), m('manifest-read.get-rps', 1000)],
    );
    const status = Object.fromEntries(evaluateChecks(rows, true).map((c) => [c.target, c.status]));
    expect(status['push-mono.throughput >= 1.0x vs']).toBe('FAIL');
    expect(status['push-mono.throughput >= 50% of sha256+disk baseline']).toBe('pass');
    expect(status['manifest-read.get-rps >= 1.5x vs']).toBe('pass');
    expect(status['push-1g.server-rss < 200 MiB']).toBe('pass');
  });
});
