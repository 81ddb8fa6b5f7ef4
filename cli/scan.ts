/**
 * `nocker scan`: what the Hub found in an image — its packages' known vulnerabilities, worst
 * first — waiting for the scan when it is still running, and failing (for CI) when any finding
 * is at or above a severity.
 */
import type { HubClient } from '../hub/client/client.ts';
import { fetchScanReport, type ScanReport, type SeverityCounts, type SeverityLevel } from '../hub/client/scans.ts';
import { parseDuration } from '../hub/registry/gc.ts';
import { formatTable } from './admin/common.ts';
import { type CommandIO, onePositional, parseCommandLine, parseOrUsage, processIO } from './io.ts';
import { shortDigest } from './progress.ts';
import { connect, manifestReference } from './pull.ts';
import { UsageError } from './usage.ts';

/** The help of `nocker scan`. */
export const SCAN_HELP = `Usage:
  nocker scan REF [--json] [--fail-on SEVERITY] [--timeout 5m] [--hub HUB]
      Show the vulnerabilities the Hub found in the image REF: the Hub scans every image
      pushed to it (distribution packages, npm, Python, Ruby and Rust packages) and matches
      them against its vulnerability database. Prints the image's OS, package count and the
      database version, then one line per finding (ID, SEVERITY, PACKAGE, INSTALLED, FIXED,
      LAYER, and VIA: the base image it comes with, when the Hub knows the image's base),
      worst first, then the counts by severity. For an index (a multi-platform image),
      one section per platform. While the scan is still running it waits, up to --timeout.

      REF is HOST:PORT/NAME[:TAG][@DIGEST], or NAME[:TAG][@DIGEST] on the Hub given by --hub,
      else $NOCKER_HUB, else 127.0.0.1:5000.

      Exit status: 0, or 1 when a finding is at or above --fail-on, when the scan failed
      (the reason is printed) or when it did not finish in time.

  Options:
      --fail-on SEVERITY critical, high, medium or low: exit 1 when a finding is at or above it
      --timeout T        how long to wait for a running scan (default 5m; e.g. 30s, 10m)
      --json             print the report as JSON (for an index, with its images' reports)
      --hub HUB          the Hub, when REF does not name one

  Example:
      nocker scan 127.0.0.1:5000/team/app:v1
      nocker scan 127.0.0.1:5000/team/app:v1 --fail-on high
`;

const SEVERITIES: readonly SeverityLevel[] = ['critical', 'high', 'medium', 'low', 'unknown'];
const THRESHOLDS = ['critical', 'high', 'medium', 'low'] as const;
type Threshold = (typeof THRESHOLDS)[number];

const POLL_MS = 500;
/** A manifest not queued yet may only be a moment from it (the push has just landed); not longer. */
const NOT_SCANNED_GRACE_MS = 5_000;

/** A finished report, and for an index those of its images. */
interface Scanned {
  report: ScanReport;
  images: ScanReport[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The report of `reference` once it is no longer pending; throws when it does not finish by `deadline`. */
async function finished(client: HubClient, repository: string, reference: string, started: number, deadline: number, what: string): Promise<ScanReport> {
  for (;;) {
    const report = await fetchScanReport(client, repository, reference);
    const waiting = report.status === 'pending' || (report.status === 'not scanned' && Date.now() - started < NOT_SCANNED_GRACE_MS);
    if (!waiting) return report;
    if (Date.now() + POLL_MS > deadline) throw new Error(`the scan of ${what} is still ${report.status}: try again later, or wait longer with --timeout`);
    await sleep(POLL_MS);
  }
}

/** Findings at or above `threshold`. */
function atOrAbove(counts: SeverityCounts, threshold: Threshold): number {
  return SEVERITIES.slice(0, SEVERITIES.indexOf(threshold) + 1).reduce((sum, severity) => sum + counts[severity], 0);
}

function countsLine(counts: SeverityCounts): string {
  return SEVERITIES.map((severity) => `${counts[severity]} ${severity}`).join(', ');
}

function osName(report: ScanReport): string {
  if (!report.os) return 'unknown OS';
  return report.os.prettyName ?? [report.os.id, report.os.versionId].filter(Boolean).join(' ');
}

/** One image's section: header, findings table, counts. */
function section(name: string, report: ScanReport): string {
  const database = report.vulndbVersion === null ? 'no vulnerability database' : `vulndb ${report.vulndbVersion}`;
  const header = `${name} · ${[report.platform, osName(report)].filter(Boolean).join(' · ')} · ${report.packages.length} ${report.packages.length === 1 ? 'package' : 'packages'} · ${database}\n`;
  if (report.status === 'failed') return `${header}scan failed: ${report.error ?? 'no reason given'}\n`;
  if (report.status !== 'done') return `${header}not scanned\n`;
  // VIA only when some finding comes with the base image: fixed by rebuilding on a fixed base.
  const via = report.vulnerabilities.some((v) => v.via);
  const rows = report.vulnerabilities.map((v) => [v.id, v.severity, v.package.name, v.installedVersion, v.fixedVersion ?? '', v.layer ? shortDigest(v.layer) : '', ...(via ? [v.via ?? ''] : [])]);
  const headers = ['ID', 'SEVERITY', 'PACKAGE', 'INSTALLED', 'FIXED', 'LAYER', ...(via ? ['VIA'] : [])];
  const table = rows.length === 0 ? 'no known vulnerabilities\n' : formatTable(headers, rows);
  return `${header}${table}${countsLine(report.counts)}\n`;
}

function thresholdOption(text: string | undefined): Threshold | undefined {
  if (text === undefined) return undefined;
  const value = text.toLowerCase();
  if (!(THRESHOLDS as readonly string[]).includes(value)) throw new UsageError(`--fail-on ${text}: expected one of ${THRESHOLDS.join(', ')}`);
  return value as Threshold;
}

/** `nocker scan REF [--json] [--fail-on SEVERITY] [--timeout T] [--hub HUB]` */
export async function scanCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const parsed = parseCommandLine(argv, io, { json: { type: 'boolean' }, 'fail-on': { type: 'string' }, timeout: { type: 'string' }, hub: { type: 'string' } }, SCAN_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const ref = onePositional(positionals, 'scan', 'image', 'scan needs the image: nocker scan REF');
  const threshold = thresholdOption(values['fail-on']);
  const timeoutMs = values.timeout === undefined ? 5 * 60_000 : parseOrUsage(() => parseDuration(values.timeout!, '--timeout'));

  const { reference, client, host } = await connect(io, ref, values.hub);
  const name = `${host}/${reference.repository}${reference.tag ? `:${reference.tag}` : ''}`;
  const started = Date.now();
  const deadline = started + timeoutMs;
  const report = await finished(client, reference.repository, manifestReference(reference), started, deadline, name);
  const scanned: Scanned = { report, images: [] };
  for (const child of report.children ?? []) {
    scanned.images.push(await finished(client, reference.repository, child.digest, started, deadline, `${name} (${child.platform ?? child.digest})`));
  }
  const images = report.children ? scanned.images : [report];

  if (values.json === true) io.stdout.write(`${JSON.stringify(report.children ? { ...report, images: scanned.images } : report, null, 2)}\n`);
  else if (report.children) {
    io.stdout.write(`${name}@${report.digest} · ${report.children.length} platforms\n`);
    report.children.forEach((child, i) => io.stdout.write(`\n${section(child.digest, scanned.images[i]!)}`));
  } else io.stdout.write(section(`${name}@${report.digest}`, report));

  const failed = images.filter((image) => image.status !== 'done');
  if (failed.length > 0 || report.status !== 'done') {
    const first = failed[0] ?? report;
    io.stderr.write(`nocker: the scan of ${name}${first === report ? '' : ` (${first.platform ?? first.digest})`} ${first.status === 'failed' ? `failed: ${first.error ?? 'no reason given'}` : 'did not run: the Hub does not scan this manifest (an artifact?)'}\n`);
    return 1;
  }
  if (threshold) {
    const over = images.reduce((sum, image) => sum + atOrAbove(image.counts, threshold), 0);
    if (over > 0) {
      io.stderr.write(`nocker: ${over} ${over === 1 ? 'vulnerability' : 'vulnerabilities'} at or above ${threshold}\n`);
      return 1;
    }
  }
  return 0;
}
