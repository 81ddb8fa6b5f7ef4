/**
 * The Nocker Hub client SDK: {@link HubClient} for `/v2` (with the token handshake) and
 * `/api/v1`, {@link HubAdmin} for the management API, and the address helpers.
 *
 * @example
 * import { HubAdmin, HubClient } from 'nocker/hub/client';
 * const client = new HubClient({ url: 'http://127.0.0.1:5000', credentials: { username, password } });
 * await client.checkLogin();
 * const users = await new HubAdmin(client).listUsers();
 */
export { HubClient, HubUnreachableError, scopeForRequest, type Credentials, type HubClientOptions, type V2RequestInit } from './client.ts';
export { HubAdmin, ROLES, DELETE_POLICIES } from './admin.ts';
export type { AuditEntry, AuditPage, AuditQuery, DeletePolicy, Me, Member, Namespace, NamespaceChanges, NewRobot, Permission, Robot, Role, Token, User, Visibility } from './admin.ts';
export { DEFAULT_HUB, HubAddressError, hubHost, isLoopbackHost, normalizeHubUrl, resolveHubUrl } from './address.ts';
export { findChallenge, parseChallenges, type Challenge } from './challenge.ts';
export { errorFromBody, errorFromResponse } from './errors.ts';
export { TokenCache } from './tokens.ts';
export { fetchSignatureStatus, listReferrers, type Referrer, type SignatureStatus, type SignatureStatusEntry } from './referrers.ts';
export { mountBlob, pushBlob, pushImage, putManifest, type PushBlob, type PushImageInput, type PushOptions, type PushResult } from './push.ts';
export { downloadBlob, fetchBlobBytes, fetchManifest, headManifest, listRepositories, listTags, MANIFEST_ACCEPT, parseRemoteReference, resolveImage, selectPlatform, type FetchedManifest, type ListOptions, type PlatformSpec, type RemoteReference, type ResolvedImage } from './pull.ts';
export { fetchScanReport, type ReportChild, type ReportPackage, type ReportVulnerability, type ScanReport, type ScanStatus, type SeverityCounts, type SeverityLevel } from './scans.ts';
export { chooseSbomReferrer, fetchSbom, type FetchedSbom } from './sbom.ts';
export { fetchDependencies, fetchDependents, fetchRebuildPlan, type BaseImage, type Dependencies, type DependentImage, type Dependents, type RebuildPlan } from './deps.ts';
export { fetchVulndbImports, fetchVulndbStatus, importVulnerabilities, type ImportResult, type VulndbImport, type VulndbStatus } from './vulndb.ts';
export { fetchHealth, type GcRun, type HubHealth } from './health.ts';
export { VulnerabilityPolicies, VULNERABILITY_SEVERITIES, type VulnerabilityPolicy } from './vulnerability-policies.ts';
export { resolveRange, type RangeResolution } from './resolve.ts';
export { fetchRepository, listTagDetails, searchRepositories, REPOSITORY_SORTS, TAG_SORTS, type RepositoryDescription, type RepositoryDetails, type RepositoryPage, type RepositoryQuery, type RepositorySort, type RepositorySummary, type SignatureSummary, type TagPage, type TagQuery, type TagSort, type TagSummary, type VulnerabilitySummary } from './catalog.ts';
export { fetchNamespaceAudit, type NamespaceAuditQuery } from './namespace-audit.ts';
