/** Pairing the registries' results, checking them against the targets, and printing them. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Better, Metric } from './workloads.ts';
import { percentile } from './stats.ts';

export interface Row {
  key: string;
  workload: string;
  metric: string;
  unit: string;
  better: Better;
  /** Medians over repetitions. */
  hub: number | null;
  vs: number | null;
  /** Every repetition's value, in order. */
  hubSamples: (number | null)[];
  vsSamples: (number | null)[];
  /** hub / vs. */
  ratio: number | null;
  notes: string[];
}

export interface Check {
  target: string;
  status: 'pass' | 'FAIL' | 'n/a';
  detail: string;
}

/**
 * One row per metric key, in the order the Hub (else the other registry) produced them; a key
 * measured several times (--repeat) gets the median of its values.
 */
export function mergeRows(hub: readonly Metric[], vs: readonly Metric[]): Row[] {
  const rows = new Map<string, Row>();
  const row = (m: Metric): Row => {
    let existing = rows.get(m.key);
    if (!existing) {
      existing = { key: m.key, workload: m.workload, metric: m.metric, unit: m.unit, better: m.better, hub: null, vs: null, hubSamples: [], vsSamples: [], ratio: null, notes: [] };
      rows.set(m.key, existing);
    }
    return existing;
  };
  const addNote = (r: Row, note: string) => {
    if (!r.notes.includes(note)) r.notes.push(note);
  };
  for (const m of hub) {
    const r = row(m);
    r.hubSamples.push(finite(m.value));
    if (m.note) addNote(r, `hub: ${m.note}`);
  }
  for (const m of vs) {
    const r = row(m);
    r.vsSamples.push(finite(m.value));
    if (m.note) addNote(r, `vs: ${m.note}`);
  }
  for (const r of rows.values()) {
    r.hub = median(r.hubSamples);
    r.vs = median(r.vsSamples);
  }
  for (const r of rows.values()) r.ratio = r.better !== 'none' && r.hub !== null && r.vs !== null && r.vs !== 0 ? r.hub / r.vs : null;
  // Workload titles start with their number; the baseline (9) runs first but reads best last.
  const order = (r: Row) => Number.parseInt(r.workload, 10) || 0;
  return [...rows.values()].sort((a, b) => order(a) - order(b));
}

function median(samples: readonly (number | null)[]): number | null {
  const values = samples.filter((v): v is number => v !== null);
  return values.length ? percentile([...values].sort((a, b) => a - b), 50) : null;
}

function finite(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

/** Blob throughput rows held to ">= 1.0x the other registry"; pushes and the pull also to the baseline. */
const THROUGHPUT_VS = ['push-mono.throughput', 'push-chunked.throughput', 'pull.throughput', 'pull.range-throughput', 'push-parallel.throughput', 'push-1g.throughput'];
const THROUGHPUT_BASELINE = ['push-mono.throughput', 'push-chunked.throughput', 'pull.throughput', 'push-parallel.throughput', 'push-1g.throughput'];
const MANIFEST_READS = ['manifest-read.get-rps', 'manifest-read.head-rps'];
export const BASELINE_KEY = 'baseline.combined';
const RSS_KEY = 'push-1g.server-rss';
const RSS_LIMIT_MIB = 200;

export function evaluateChecks(rows: readonly Row[], hasVs: boolean): Check[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const checks: Check[] = [];
  const label = (r: Row) => `${r.workload}: ${r.metric}`;
  const ratioCheck = (key: string, min: number) => {
    const r = byKey.get(key);
    if (!r) return;
    const target = `${key} >= ${min.toFixed(1)}x vs`;
    // Without a second registry there is nothing to compare with.
    if (!hasVs) return;
    if (r.ratio === null) checks.push({ target, status: 'n/a', detail: `${label(r)}: not measured on both` });
    else checks.push({ target, status: r.ratio >= min ? 'pass' : 'FAIL', detail: `${fmt(r.hub)} vs ${fmt(r.vs)} ${r.unit} = ${r.ratio.toFixed(2)}x` });
  };
  for (const key of THROUGHPUT_VS) ratioCheck(key, 1.0);
  for (const key of MANIFEST_READS) ratioCheck(key, 1.5);

  const baseline = byKey.get(BASELINE_KEY)?.hub ?? null;
  for (const key of THROUGHPUT_BASELINE) {
    const r = byKey.get(key);
    if (!r) continue;
    const target = `${key} >= 50% of sha256+disk baseline`;
    if (baseline === null || r.hub === null) checks.push({ target, status: 'n/a', detail: 'not measured' });
    else {
      const share = r.hub / baseline;
      checks.push({ target, status: share >= 0.5 ? 'pass' : 'FAIL', detail: `${fmt(r.hub)} of ${fmt(baseline)} MiB/s = ${(share * 100).toFixed(1)}%` });
    }
  }

  const rss = byKey.get(RSS_KEY);
  if (rss) {
    const target = `${RSS_KEY} < ${RSS_LIMIT_MIB} MiB`;
    if (rss.hub === null) checks.push({ target, status: 'n/a', detail: 'the Hub was not started by the bench' });
    else checks.push({ target, status: rss.hub < RSS_LIMIT_MIB ? 'pass' : 'FAIL', detail: `peak ${fmt(rss.hub)} MiB (vs ${fmt(rss.vs)} MiB)` });
  }
  return checks;
}

/** Numbers with precision that fits their size; null is "n/a". */
export function fmt(value: number | null): string {
  if (value === null) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Whether the Hub is worse than the other registry on this row. */
function hubWorse(r: Row): boolean {
  if (r.ratio === null) return false;
  return (r.better === 'higher' && r.ratio < 1) || (r.better === 'lower' && r.ratio > 1);
}

export function formatTable(rows: readonly Row[], hubLabel: string, vsLabel: string | undefined): string {
  const header = ['workload', 'metric', 'unit', hubLabel, ...(vsLabel ? [vsLabel, 'ratio'] : [])];
  const body = rows.map((r) => [
    r.workload,
    r.metric,
    r.unit,
    fmt(r.hub),
    ...(vsLabel ? [r.key.startsWith('baseline.') ? '-' : fmt(r.vs), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x${hubWorse(r) ? ' *' : ''}`] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const numeric = new Set([3, 4, 5]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const cells of body) {
    // The workload name once per group keeps the table readable.
    const name = cells[0] ?? '';
    out.push(line([name === previous ? '' : name, ...cells.slice(1)]));
    previous = name;
  }
  const notes = rows.flatMap((r) => r.notes.map((n) => `  ${r.key}: ${n}`));
  if (vsLabel) out.push('', 'ratio = hub / vs; * = the Hub is worse on this row (lower throughput, higher latency or resource use)');
  if (notes.length) out.push('notes:', ...notes);
  return out.join('\n');
}

export function formatChecks(checks: readonly Check[]): string {
  if (!checks.length) return '';
  const width = Math.max(...checks.map((c) => c.target.length));
  return ['targets:', ...checks.map((c) => `  ${c.status.padEnd(4)}  ${c.target.padEnd(width)}  ${c.detail}`)].join('\n');
}

export async function writeJson(path: string, document: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
}
