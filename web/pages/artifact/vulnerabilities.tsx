/**
 * The Vulnerabilities tab: the image's scan report, filtered on the server by severity and by a
 * package or id (GET parameters, so it works without scripts), each finding marked when the
 * namespace's production vulnerability policy allowlists it, and the same rows as CSV.
 */
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import { Notice, ScrollTable, SEVERITIES, SeverityBadges, Time, type Severity } from '../../components.tsx';
import { toCsv } from '../../csv.ts';
import type { WebEnv } from '../../env.ts';
import { shortDigest } from '../../format.ts';
import { artifactUrl } from '../../paths.ts';
import type { HubClient } from '../../../hub/client/client.ts';
import { fetchScanReport, type ReportVulnerability, type ScanReport } from '../../../hub/client/scans.ts';
import { VulnerabilityPolicies } from '../../../hub/client/vulnerability-policies.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { allowlistActive } from '../../../hub/policy/vulnerability-validate.ts';
import { downloadName } from './load.ts';
import type { ArtifactView, TabRenderer } from './types.ts';

/** The environment whose vulnerability policy's allowlist is shown. */
const POLICY_ENVIRONMENT = 'production';

/** The filters of the table and the CSV, from the query. */
export interface VulnerabilityFilter {
  severity?: Severity;
  /** Matched, case-insensitively, against the package name and the ids. */
  q?: string;
}

function readFilter(c: Context<WebEnv>): VulnerabilityFilter {
  const severity = c.req.query('severity');
  const q = c.req.query('q')?.trim();
  return {
    ...((SEVERITIES as readonly string[]).includes(severity ?? '') ? { severity: severity as Severity } : {}),
    ...(q ? { q } : {}),
  };
}

/**
 * The findings that pass `filter`.
 *
 * @example
 * filterFindings(report.vulnerabilities, { severity: 'critical', q: 'openssl' });
 */
export function filterFindings(findings: readonly ReportVulnerability[], filter: VulnerabilityFilter): ReportVulnerability[] {
  const needle = filter.q?.toLowerCase();
  return findings.filter((f) => {
    if (filter.severity && f.severity !== filter.severity) return false;
    if (!needle) return true;
    return [f.package.name, f.id, ...f.aliases].some((text) => text.toLowerCase().includes(needle));
  });
}

/**
 * The ids the namespace's production policy lets through now (expired entries do not count);
 * undefined when the viewer may not read the policy. No policy allowlists nothing.
 *
 * @example
 * const allowed = await readAllowlist(c.var.hub, 'team/app');
 */
export async function readAllowlist(hub: HubClient, name: string): Promise<Set<string> | undefined> {
  const namespace = name.split('/')[0] ?? name;
  try {
    const policy = await new VulnerabilityPolicies(hub).get(namespace, POLICY_ENVIRONMENT);
    const now = Date.now();
    return new Set(policy.allowlist.filter((entry) => allowlistActive(entry, now)).map((entry) => entry.id));
  } catch (err) {
    if (err instanceof OciError && (err.status === 401 || err.status === 403)) return undefined;
    if (err instanceof OciError && err.status === 404) return new Set();
    throw err;
  }
}

function allowlisted(allowed: Set<string> | undefined, id: string): string {
  return allowed === undefined ? '—' : allowed.has(id) ? 'yes' : 'no';
}

const StatusLine: FC<{ report: ScanReport }> = ({ report }) => (
  <p>
    Scan: <strong>{report.status}</strong>
    {report.scannedAt ? (
      <>
        , scanned <Time at={report.scannedAt} />
      </>
    ) : null}
    {report.vulndbVersion !== null ? <>, vulnerability database version {report.vulndbVersion}</> : <>, no vulnerability database imported yet</>}
    {report.platform ? <>, {report.platform}</> : null}.
  </p>
);

const FindingRow: FC<{ f: ReportVulnerability; allowed: Set<string> | undefined }> = ({ f, allowed }) => (
  <tr>
    <td>
      <a href={`https://osv.dev/vulnerability/${encodeURIComponent(f.id)}`} rel="noopener noreferrer">
        {f.id}
      </a>
      {f.summary ? <div class="muted">{f.summary}</div> : null}
    </td>
    <td>{f.aliases.join(', ') || <span class="muted">—</span>}</td>
    <td>
      <span class={`badge sev-${f.severity}`}>{f.severity}</span>
    </td>
    <td class="num">{f.score ?? '—'}</td>
    <td>{f.package.name}</td>
    <td>
      <code>{f.installedVersion}</code>
    </td>
    <td>{f.fixedVersion ? <code>{f.fixedVersion}</code> : <span class="muted">not fixed</span>}</td>
    <td>{f.layer ? <code title={f.layer}>{shortDigest(f.layer)}</code> : <span class="muted">—</span>}</td>
    <td>{f.via ?? <span class="muted">—</span>}</td>
    <td>{allowlisted(allowed, f.id)}</td>
  </tr>
);

export const renderVulnerabilitiesTab: TabRenderer = async (c, artifact) => {
  const [report, allowed] = await Promise.all([fetchScanReport(c.var.hub, artifact.name, artifact.imageDigest), readAllowlist(c.var.hub, artifact.name)]);
  const filter = readFilter(c);
  const shown = filterFindings(report.vulnerabilities, filter);
  const platform = artifact.selected?.platform;
  const action = artifactUrl(artifact.name, artifact.reference, 'vulnerabilities');
  return (
    <>
      <h2>Vulnerabilities</h2>
      <StatusLine report={report} />
      {report.status === 'failed' ? <Notice kind="error">The scan failed: {report.error ?? 'no reason given'}</Notice> : null}
      {report.status === 'pending' ? <Notice>The scan is pending; findings appear once it is done.</Notice> : null}
      {report.status === 'not scanned' ? <Notice>This image has not been scanned.</Notice> : null}
      <p>
        <SeverityBadges counts={report.status === 'done' ? report.counts : null} />
      </p>
      <form class="filters" method="get" action={action}>
        {platform ? <input type="hidden" name="platform" value={platform} /> : null}
        <div>
          <label for="vuln-severity">Severity</label>
          <select id="vuln-severity" name="severity">
            <option value="">all</option>
            {SEVERITIES.map((s) => (
              <option value={s} selected={filter.severity === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="vuln-q">Package or id</label>
          <input id="vuln-q" type="search" name="q" value={filter.q ?? ''} />
        </div>
        <button type="submit">Filter</button>
        <a class="button" href={artifactUrl(artifact.name, artifact.reference, 'vulnerabilities', { platform, ...filter, format: 'csv' })}>
          Export CSV
        </a>
      </form>
      {allowed === undefined ? <p class="muted">You may not read this namespace's {POLICY_ENVIRONMENT} vulnerability policy, so the allowlist is not shown.</p> : null}
      {shown.length === 0 ? (
        <p class="muted">{report.vulnerabilities.length === 0 ? 'No vulnerabilities found.' : 'No finding matches the filter.'}</p>
      ) : (
        <ScrollTable label="Vulnerabilities">
          <table>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Aliases</th>
                <th scope="col">Severity</th>
                <th scope="col" class="num">
                  CVSS
                </th>
                <th scope="col">Package</th>
                <th scope="col">Installed</th>
                <th scope="col">Fixed in</th>
                <th scope="col">Layer</th>
                <th scope="col">Via base image</th>
                <th scope="col">Allowlisted ({POLICY_ENVIRONMENT})</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <FindingRow f={f} allowed={allowed} />
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </>
  );
};

/** The CSV columns, in order. */
const CSV_HEADER = ['id', 'aliases', 'severity', 'score', 'package', 'installed', 'fixed', 'layer', 'via', 'allowlisted'];

/**
 * `?format=csv`: the filtered findings as CSV, as an attachment.
 *
 * @example
 * const res = await downloadVulnerabilities(c, artifact); // undefined without ?format=csv
 */
export async function downloadVulnerabilities(c: Context<WebEnv>, artifact: ArtifactView): Promise<Response | undefined> {
  if (c.req.query('format') !== 'csv') return undefined;
  const [report, allowed] = await Promise.all([fetchScanReport(c.var.hub, artifact.name, artifact.imageDigest), readAllowlist(c.var.hub, artifact.name)]);
  const rows = filterFindings(report.vulnerabilities, readFilter(c)).map((f) => [
    f.id,
    f.aliases.join(' '),
    f.severity,
    f.score ?? '',
    f.package.name,
    f.installedVersion,
    f.fixedVersion ?? '',
    f.layer ?? '',
    f.via ?? '',
    allowlisted(allowed, f.id),
  ]);
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="${downloadName(artifact.name, artifact.imageDigest, 'vulnerabilities.csv')}"`);
  c.header('X-Content-Type-Options', 'nosniff');
  return c.body(toCsv(CSV_HEADER, rows));
}
