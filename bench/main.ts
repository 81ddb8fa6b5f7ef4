/**
 * `npm run bench -- [--url URL] [--vs URL | --vs-distribution] [--json FILE] [--quick] …`
 *
 * Benchmarks a Hub (its own, started here, unless --url names one) and optionally a second
 * registry with the same workloads, then prints a table and writes JSON. See --help.
 */
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RegistryClient, type Credentials } from './registry-client.ts';
import { BENCH_ADMIN, distributionAvailable, DISTRIBUTION_BINARY, machineBusySeconds, readProc, ResourceMonitor, startDistribution, startHub, type ServerProcess } from './processes.ts';
import { BASELINE_ID, machineBaseline, sizesFor, WORKLOADS, type Metric, type Sizes, type TargetState, type Work, type Workload } from './workloads.ts';
import { evaluateChecks, fmt, formatChecks, formatTable, mergeRows, writeJson } from './report.ts';
import { SCAN_ID, scanBenchmark, scanChecks } from './scan.ts';
import { CATALOG_ID, catalogBenchmark, catalogChecks } from './catalog.ts';

const HELP = `Usage: npm run bench -- [options]

  --url URL            benchmark the Hub at URL (default: start one: fs blobs + PGlite, temp dir)
  --credentials U:P    log in to the Hub at --url as U with password P (a started Hub: its admin)
  --hub-env KEY=VALUE  environment for the Hub the bench starts (repeatable), e.g.
                       DATABASE_URL=postgres://… or NOCKER_S3_BUCKET=… NOCKER_S3_ENDPOINT=…
  --vs URL             also benchmark the registry at URL and print ratios (Hub / other)
  --vs-distribution    start ${DISTRIBUTION_BINARY} (apt-get install docker-registry) as the other
  --json FILE          where to write the JSON results (default bench/results/latest.json)
  --quick              ~10x smaller sizes and counts, for a smoke run
  --only IDS           comma-separated workloads: ${[BASELINE_ID, ...WORKLOADS.map((w) => w.id), SCAN_ID, CATALOG_ID].join(',')}
  --hub-cpu-prof DIR   run the started Hub under node --cpu-prof, profiles into DIR
  --repeat N           run everything N times (alternating which registry goes first) and
                       report medians: for shared, noisy machines
  --keep               keep the started registries' temp data directories
`;

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DEFAULT_JSON = resolve(REPO_ROOT, 'bench/results/latest.json');

/**
 * When a workload ran, in CLOCK_MONOTONIC microseconds: the clock V8 stamps --cpu-prof samples
 * with, so profile-summary.ts can cut a Hub profile down to one workload.
 */
interface Window {
  target: Target['label'];
  workload: string;
  startUs: number;
  endUs: number;
}
const windows: Window[] = [];

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

interface Target {
  label: 'hub' | 'vs';
  url: string;
  description: string;
  /** Set when the bench started the server, so /proc can be sampled. */
  pid?: number;
  server?: ServerProcess;
  client: RegistryClient;
  state: TargetState;
  metrics: Metric[];
}

function parseCli() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      credentials: { type: 'string' },
      vs: { type: 'string' },
      'vs-distribution': { type: 'boolean', default: false },
      json: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'hub-env': { type: 'string', multiple: true, default: [] },
      only: { type: 'string' },
      'hub-cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.vs && values['vs-distribution']) throw new Error('--vs and --vs-distribution exclude each other');
  if (values.url && (values['hub-env'].length || values['hub-cpu-prof'])) throw new Error('--hub-env and --hub-cpu-prof apply only to a Hub the bench starts (no --url)');
  const hubEnv: Record<string, string> = {};
  for (const pair of values['hub-env']) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--hub-env wants KEY=VALUE, got "${pair}"`);
    hubEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 10) throw new Error(`--repeat wants 1..10, got "${values.repeat}"`);
  const known = new Set([BASELINE_ID, ...WORKLOADS.map((w) => w.id), SCAN_ID, CATALOG_ID]);
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
  for (const id of only ?? []) if (!known.has(id)) throw new Error(`unknown workload "${id}" (known: ${[...known].join(', ')})`);
  let credentials: Credentials | undefined;
  if (values.credentials !== undefined) {
    const colon = values.credentials.indexOf(':');
    if (!values.url || colon <= 0) throw new Error('--credentials wants USER:PASSWORD, and applies only with --url');
    credentials = { username: values.credentials.slice(0, colon), password: values.credentials.slice(colon + 1) };
  }
  return { ...values, hubEnv, only, repeat, credentials };
}

/** Hides passwords in URLs before they reach the report. */
function redact(text: string): string {
  return text.replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@');
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Flushes dirty pages so one workload's writeback does not land in the next one's time. */
function syncDisks(): void {
  try {
    execFileSync('sync', { timeout: 120_000 });
  } catch {
    // Best effort.
  }
}

async function main(): Promise<number> {
  const args = parseCli();
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const sizes: Sizes = sizesFor(args.quick);
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const jsonPath = args.json ? resolve(args.json) : DEFAULT_JSON;
  const started: ServerProcess[] = [];
  const targets: Target[] = [];
  const startedAt = new Date();

  const stopAll = async () => {
    for (const target of targets) target.client.close();
    await Promise.allSettled(started.splice(0).map((server) => server.stop()));
  };
  const onSignal = () => {
    log('interrupted: stopping the registries');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Registries.
    const addTarget = (label: Target['label'], url: string, description: string, server?: ServerProcess, credentials?: Credentials) => {
      const client = new RegistryClient(url.replace(/\/+$/, ''), undefined, credentials);
      const pid = server?.pid;
      const idle = pid === undefined ? undefined : readProc(pid);
      const row = (id: string, metric: string, unit: string, value: number | null): Metric => ({ key: `start.${id}`, workload: '0 server start', metric, unit, value, better: 'lower' });
      const metrics = [
        row('ready', 'spawn to first 200 on /v2/', 's', server ? server.readyMs / 1000 : null),
        row('rss', 'RSS when ready, idle', 'MiB', idle ? idle.rssBytes / 2 ** 20 : null),
      ];
      targets.push({ label, url, description, pid, server, client, state: { pushMode: 'post-put' }, metrics });
    };
    if (args.url) addTarget('hub', args.url, `Hub at ${args.url} (not started by the bench: no resource figures)`, undefined, args.credentials);
    else {
      const nodeArgs = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['hub-cpu-prof'])}`] : [];
      log(`starting a Hub${Object.keys(args.hubEnv).length ? ` with ${Object.keys(args.hubEnv).join(', ')}` : ''} …`);
      const hub = await startHub({ env: args.hubEnv, nodeArgs, keep: args.keep });
      started.push(hub);
      addTarget('hub', hub.url, hub.description, hub, BENCH_ADMIN);
    }
    if (args.vs) addTarget('vs', args.vs, `registry at ${args.vs} (not started by the bench: no resource figures)`);
    else if (args['vs-distribution']) {
      if (!distributionAvailable()) throw new Error(`${DISTRIBUTION_BINARY} is missing: apt-get install -y docker-registry`);
      log('starting CNCF Distribution …');
      const distribution = await startDistribution({ keep: args.keep });
      started.push(distribution);
      addTarget('vs', distribution.url, distribution.description, distribution);
    }
    for (const target of targets) {
      log(`${target.label}: ${redact(target.description)} at ${target.url}`);
      await target.client.ping(AbortSignal.timeout(10_000));
      // Also warms the server up before anything is timed.
      const single = await target.client.supportsSinglePost(`bench-${runId}/probe`, `${runId}/${target.label}`, AbortSignal.timeout(10_000));
      target.state.pushMode = single ? 'post-digest' : 'post-put';
      log(`${target.label}: single-POST uploads ${single ? 'supported' : 'not supported: POST + PUT instead'}`);
    }

    const hub = targets[0] as Target;
    for (let rep = 0; rep < args.repeat; rep++) {
      // Every repetition pushes its own blobs to its own repositories.
      const repRunId = args.repeat > 1 ? `${runId}r${rep}` : runId;
      if (args.repeat > 1) log(`--- repetition ${rep + 1} of ${args.repeat}`);
      if (!args.only || args.only.has(BASELINE_ID)) {
        log(`machine baseline: ${sizes.baselineBytes >> 20} MiB …`);
        syncDisks();
        try {
          const metrics = await machineBaseline(sizes, repRunId, AbortSignal.timeout(120_000));
          hub.metrics.push(...metrics);
          for (const m of metrics) log(`  ${m.metric}: ${fmt(m.value)} ${m.unit}`);
        } catch (err) {
          log(`  baseline failed: ${(err as Error).message}`);
        }
      }
      for (const target of targets) target.state = { pushMode: target.state.pushMode };
      // Alternating who goes first evens out drift (page cache, other load) between registries.
      const order = rep % 2 === 0 ? targets : [...targets].reverse();
      for (const workload of WORKLOADS) {
        if (args.only && !args.only.has(workload.id)) continue;
        for (const target of order) await runOne(workload, target, sizes, repRunId);
      }
      // The image scanner, on its own: no registry involved.
      if (!args.only || args.only.has(SCAN_ID)) {
        log(`image scan of a generated ${args.quick ? 50 : 500} MiB layer …`);
        try {
          const metrics = await scanBenchmark(args.quick, log, AbortSignal.timeout(600_000));
          hub.metrics.push(...metrics);
          for (const m of metrics) log(`  ${m.metric}: ${fmt(m.value)} ${m.unit}${m.note ? ` (${m.note})` : ''}`);
        } catch (err) {
          log(`  failed: ${(err as Error).message}`);
          hub.metrics.push({ key: `${SCAN_ID}.error`, workload: '10 image scan', metric: 'failed', unit: '', value: null, better: 'none', note: (err as Error).message });
        }
      }
      // The catalog on a repository of many tags, on a Hub of its own started in process.
      if (!args.only || args.only.has(CATALOG_ID)) {
        log(`catalog of a repository with ${args.quick ? '1,000' : '10,000'} tags …`);
        try {
          const metrics = await catalogBenchmark(args.quick, log);
          hub.metrics.push(...metrics);
          for (const m of metrics) log(`  ${m.metric}: ${fmt(m.value)} ${m.unit}${m.note ? ` (${m.note})` : ''}`);
        } catch (err) {
          log(`  failed: ${(err as Error).message}`);
          hub.metrics.push({ key: `${CATALOG_ID}.error`, workload: '11 catalog, one repository of many tags', metric: 'failed', unit: '', value: null, better: 'none', note: (err as Error).message });
        }
      }
    }

    for (const target of targets) {
      const died = target.server?.unexpectedExit();
      if (died) log(`\n${target.label} exited during the run (${died}); last lines of ${target.server?.logPath}:\n${target.server?.logTail()}`);
    }
    const vs = targets.find((t) => t.label === 'vs');
    const rows = mergeRows(hub.metrics, vs?.metrics ?? []);
    const checks = [...evaluateChecks(rows, vs !== undefined), ...scanChecks(rows), ...catalogChecks(rows)];
    const vsLabel = vs ? (args['vs-distribution'] ? 'distribution' : 'vs') : undefined;
    const external = args.hubEnv.DATABASE_URL ? ' (server figures are the Hub process only, not its PostgreSQL)' : '';
    const header = targets.map((t) => `${t.label === 'hub' ? 'hub' : vsLabel}: ${redact(t.description)} at ${t.url}${t.label === 'hub' ? external : ''}`);
    if (args.repeat > 1) header.push(`values are medians of ${args.repeat} repetitions (all of them in the JSON)`);
    process.stdout.write(`\n${header.join('\n')}\n\n${formatTable(rows, 'hub', vsLabel)}\n\n${formatChecks(checks)}\n`);

    await writeJson(jsonPath, {
      version: 1,
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: args.quick,
      repeat: args.repeat,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30, kernel: release(), node: process.version },
      sizes,
      targets: targets.map((t) => ({ label: t.label, url: t.url, description: redact(t.description), startedByBench: t.pid !== undefined, pushMode: t.state.pushMode })),
      hubEnv: Object.fromEntries(Object.entries(args.hubEnv).map(([k, v]) => [k, redact(v)])),
      rows,
      checks,
      windows,
    });
    log(`\nresults: ${jsonPath}`);
    // Missed targets are findings; a workload that could not run is a failure of the run.
    return rows.some((r) => r.key.endsWith('.error')) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

/** Runs one workload against one registry within its time limit, adding server resource rows. */
async function runOne(workload: Workload, target: Target, sizes: Sizes, runId: string): Promise<void> {
  log(`${target.label}: ${workload.title} …`);
  syncDisks();
  const monitor = target.pid === undefined ? undefined : new ResourceMonitor(target.pid, 50);
  const limitMs = workload.limitMs(sizes);
  const signal = AbortSignal.timeout(limitMs);
  // Every in-flight request listens on the one signal.
  setMaxListeners(1024, signal);
  const clientCpu = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  const startUs = monotonicMicros();
  let metrics: Metric[];
  let work: Work | undefined;
  try {
    ({ metrics, work } = await workload.run({ client: target.client, runId, sizes, state: target.state, signal }));
  } catch (err) {
    const died = target.server?.unexpectedExit();
    const reason = died ? `the server had exited (${died}); log kept in ${target.server?.logPath}` : signal.aborted ? `timed out after ${limitMs / 1000} s` : (err as Error).message;
    log(`  failed: ${reason}`);
    metrics = [{ key: `${workload.id}.error`, workload: workload.title, metric: 'failed', unit: '', value: null, better: 'none', note: reason }];
  }
  windows.push({ target: target.label, workload: workload.id, startUs, endUs: monotonicMicros() });
  const use = monitor?.stop();
  const client = process.cpuUsage(clientCpu);
  const busyAfter = machineBusySeconds();
  const clientSeconds = (client.user + client.system) / 1e6;
  // Whatever else ran meanwhile (other jobs on a shared machine) skews every figure above.
  const other = use === undefined || busyBefore === undefined || busyAfter === undefined ? null : Math.max(0, busyAfter - busyBefore - clientSeconds - use.cpuSeconds);
  const row = (id: string, metric: string, unit: string, value: number | null, better: Metric['better']): Metric => ({
    key: `${workload.id}.${id}`,
    workload: workload.title,
    metric,
    unit,
    value,
    better,
  });
  metrics.push(row('server-cpu', 'server CPU time', 's', use?.cpuSeconds ?? null, 'lower'));
  if (work && work.amount > 0) metrics.push(cpuPerUnit(workload, work, use?.cpuSeconds));
  metrics.push(row('server-rss', 'server peak RSS', 'MiB', use?.peakRssMiB ?? null, 'lower'));
  // The memory workload: is streaming bounded, whatever the idle footprint?
  if (workload.id === 'push-1g') metrics.push(row('server-rss-growth', 'server RSS growth over its RSS before', 'MiB', use ? use.peakRssMiB - use.startRssMiB : null, 'lower'));
  metrics.push(
    // On a small machine the bench competes with the server for CPU; this shows how much.
    row('client-cpu', 'bench client CPU time', 's', clientSeconds, 'none'),
    row('other-cpu', 'other processes CPU time (noise)', 's', other, 'none'),
  );
  for (const m of metrics) log(`  ${m.metric}: ${fmt(m.value)} ${m.unit}${m.note ? ` (${m.note})` : ''}`);
  target.metrics.push(...metrics);
}

/** Server CPU per GiB moved or per request: a figure that other load on the machine barely moves. */
function cpuPerUnit(workload: Workload, work: Work, cpuSeconds: number | undefined): Metric {
  const perGiB = work.unit === 'GiB';
  return {
    key: `${workload.id}.cpu-per-unit`,
    workload: workload.title,
    metric: perGiB ? 'server CPU per GiB moved' : 'server CPU per request',
    unit: perGiB ? 's/GiB' : 'ms',
    value: cpuSeconds === undefined ? null : perGiB ? cpuSeconds / work.amount : (cpuSeconds * 1000) / work.amount,
    better: 'lower',
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: ${(err as Error).message}`);
    process.exit(1);
  },
);
