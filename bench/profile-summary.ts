/**
 * `node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--results JSON --workload ID]`:
 * the functions and files with the most self time in a V8 CPU profile (from `node --cpu-prof`,
 * e.g. `npm run bench -- --hub-cpu-prof DIR`). With --results and --workload only the samples
 * taken while the Hub ran that workload count.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time in ms per key (function or file), largest first. */
export function selfTimes(profile: Profile, keyOf: (frame: CallFrame) => string): [string, number][] {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    if (!frame) return;
    // Each sample's time is the delta to the next one, in microseconds.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const key = keyOf(frame);
    totals.set(key, (totals.get(key) ?? 0) + micros / 1000);
  });
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

/**
 * Inclusive time per project function (frames outside node_modules and node internals): what
 * each of our functions costs with everything it calls synchronously. Async continuations are
 * not on the stack, so this undercounts work finished after an await.
 */
export function projectTotals(profile: Profile, isProject: (frame: CallFrame) => boolean, keyOf: (frame: CallFrame) => string): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !isProject(frame)) continue;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + ms);
    }
  });
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const work = url.indexOf('/main/');
  return work >= 0 ? url.slice(work + '/main/'.length) : url.replace(/^file:\/\//, '');
}

/** The profile with only the samples taken within [startUs, endUs] (V8's monotonic clock). */
export function restrict(profile: Profile, startUs: number, endUs: number): Profile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  let first: number | undefined;
  let last = startUs;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < startUs || at > endUs) return;
    first ??= at;
    samples.push(id);
    timeDeltas.push(at - last);
    last = at;
  });
  // selfTimes() charges each sample with the next delta; the closing one ends the window.
  timeDeltas.push(0);
  return { ...profile, samples, timeDeltas, startTime: first ?? startUs, endTime: last };
}

interface Results {
  windows?: { target: string; workload: string; startUs: number; endUs: number }[];
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, results: { type: 'string' }, workload: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || (values.workload && !values.results)) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--results JSON --workload ID]\n');
    process.exit(2);
  }
  const top = Number(values.top);
  let profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (values.workload && values.results) {
    const results = JSON.parse(readFileSync(values.results, 'utf8')) as Results;
    const window = results.windows?.find((w) => w.target === 'hub' && w.workload === values.workload);
    if (!window) throw new Error(`no hub window for workload ${values.workload} in ${values.results}`);
    profile = restrict(profile, window.startUs, window.endUs);
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const print = (title: string, rows: [string, number][]) => {
    process.stdout.write(`\n${title}\n`);
    for (const [key, ms] of rows.slice(0, top)) {
      process.stdout.write(`${ms.toFixed(0).padStart(8)} ms ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
    }
  };
  process.stdout.write(`${file}: ${(totalMs / 1000).toFixed(1)} s profiled\n`);
  print('self time by function', selfTimes(profile, (f) => `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`));
  print('self time by file', selfTimes(profile, (f) => shortUrl(f.url)));
  const isProject = (f: CallFrame) => f.url.startsWith('file://') && !f.url.includes('/node_modules/');
  print('inclusive time of project functions', projectTotals(profile, isProject, (f) => `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}:${f.lineNumber + 1}`));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
