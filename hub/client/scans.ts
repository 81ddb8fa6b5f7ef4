/**
 * Scan reports through a {@link HubClient}: an image's packages and vulnerabilities as the Hub
 * found them (`GET /api/v1/repositories/…/manifests/…/scan`).
 */
import type { HubClient } from './client.ts';

export type { ReportChild, ReportPackage, ReportVulnerability, ScanReport, ScanStatus, SeverityCounts } from '../scanning/results.ts';
export type { SeverityLevel } from '../scanning/osv/severity.ts';
import type { ScanReport } from '../scanning/results.ts';

/**
 * The scan report of `reference` (a tag or digest) in `repository`.
 *
 * @example
 * const report = await fetchScanReport(client, 'team/app', 'v1');
 * if (report.status === 'done') console.log(report.counts.critical);
 */
export function fetchScanReport(client: HubClient, repository: string, reference: string): Promise<ScanReport> {
  return client.api<ScanReport>('GET', `/api/v1/repositories/${repository}/manifests/${encodeURIComponent(reference)}/scan`);
}
