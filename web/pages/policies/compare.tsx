/**
 * `/policies/compare?repository=NAME&reference=REF`: an image's recorded runtime policies side by
 * side with what each environment makes of them (`effectivePolicy`, as `nocker run --env` does),
 * and the Hub's trust and vulnerability policies there with the image's standing under each.
 */
import { Hono, type Context } from 'hono';
import type { Child, FC } from 'hono/jsx';
import { Digest, Notice, ScrollTable } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { artifactUrl, ui } from '../../paths.ts';
import { requireSignedIn } from '../error.tsx';
import type { HubClient } from '../../../hub/client/client.ts';
import { fetchBlobBytes, fetchManifest, type FetchedManifest } from '../../../hub/client/pull.ts';
import { fetchSignatureStatus } from '../../../hub/client/referrers.ts';
import { fetchScanReport, type ScanReport } from '../../../hub/client/scans.ts';
import { VULNERABILITY_SEVERITIES, type VulnerabilityPolicy } from '../../../hub/client/vulnerability-policies.ts';
import { namespaceOf } from '../../../hub/auth/permissions.ts';
import { toOciError } from '../../../hub/distribution/errors.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { allowlistActive } from '../../../hub/policy/vulnerability-validate.ts';
import type { RuntimeConfig } from '../../../engine/image/config.ts';
import type { Policies } from '../../../engine/nockerfile/types.ts';
import { declaredPorts, recordedPolicies } from '../../../engine/runtime/recorded.ts';
import { effectivePolicy, formatSize, type EffectivePolicy } from '../../../engine/runtime/policy.ts';
import { namespacePolicies, orderEnvironments, STANDARD_ENVIRONMENTS, type EnvironmentPolicies } from './data.ts';
import { ModeBadge } from './view.tsx';

/** The image the comparison is about: for an index, its first image (its config holds the policies). */
interface ComparedImage {
  top: FetchedManifest;
  image: FetchedManifest;
  platform?: string;
  config: RuntimeConfig;
}

async function loadImage(hub: HubClient, repository: string, reference: string): Promise<ComparedImage> {
  const top = await fetchManifest(hub, repository, reference);
  let image = top;
  let platform: string | undefined;
  if (top.parsed.kind === 'index') {
    const entry = top.parsed.manifests.find((m) => m.platform?.os !== 'unknown') ?? top.parsed.manifests[0];
    if (!entry) throw new OciError('MANIFEST_INVALID', `${repository}:${reference} is an empty index: there is no image to compare`);
    image = await fetchManifest(hub, repository, entry.digest);
    platform = [entry.platform?.os, entry.platform?.architecture, entry.platform?.variant].filter((p) => typeof p === 'string').join('/');
  }
  const configDescriptor = image.parsed.blobs[0];
  if (image.parsed.kind !== 'image' || !configDescriptor) throw new OciError('MANIFEST_INVALID', `${repository}:${reference} is not an image: it has no runtime policies to compare`);
  const document = JSON.parse(Buffer.from(await fetchBlobBytes(hub, repository, configDescriptor)).toString('utf8')) as { config?: RuntimeConfig } | null;
  return { top, image, platform, config: document?.config ?? {} };
}

/** The recorded policies, or why they cannot be read (nocker run refuses such an image). */
function readPolicies(config: RuntimeConfig): { policies?: Policies; error?: string } {
  try {
    return { policies: recordedPolicies(config) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function portsOf(config: RuntimeConfig): number[] {
  try {
    return declaredPorts(config);
  } catch {
    return [];
  }
}

/**
 * How many distinct vulnerabilities of `report` the policy blocks: fixable, at or above its
 * severity, not let through by a live allowlist entry — as the Hub's pull gate counts them.
 *
 * @example
 * blockingCount(report, { severity: 'high', allowlist: [] }); // 2
 */
export function blockingCount(report: ScanReport, policy: Pick<VulnerabilityPolicy, 'severity' | 'allowlist'>, now = Date.now()): number {
  const threshold = VULNERABILITY_SEVERITIES.indexOf(policy.severity);
  const allowed = new Set(policy.allowlist.filter((entry) => allowlistActive(entry, now)).map((entry) => entry.id));
  const blocking = report.vulnerabilities.filter((v) => {
    const rank = (VULNERABILITY_SEVERITIES as readonly string[]).indexOf(v.severity);
    return v.fixedVersion !== undefined && v.fixedVersion !== '' && rank !== -1 && rank <= threshold && !allowed.has(v.id);
  });
  return new Set(blocking.map((v) => v.id)).size;
}

/** One environment's column. */
interface Column {
  env: EnvironmentPolicies;
  effective: EffectivePolicy;
  /** The image's signatures under the trust policy: true, false, or null without one / unknown. */
  signed: boolean | null;
}

const Row: FC<{ label: string; columns: Column[]; cell: (column: Column) => Child }> = ({ label, columns, cell }) => (
  <tr>
    <th scope="row">{label}</th>
    {columns.map((column) => (
      <td>{cell(column)}</td>
    ))}
  </tr>
);

const Verdict: FC<{ ok: boolean; yes: string; no: string }> = ({ ok, yes, no }) => <span class={`badge ${ok ? 'ok' : 'bad'}`}>{ok ? yes : no}</span>;

function VulnerabilityVerdict({ policy, report }: { policy: VulnerabilityPolicy | undefined; report: ScanReport | undefined }): Child {
  if (!policy) return <span class="muted">—</span>;
  if (!report || report.status === 'not scanned') return <span class="muted">not scanned</span>;
  if (report.status === 'pending') return <span class="muted">not scanned yet</span>;
  if (report.status === 'failed') return <span class="badge warn">scan failed</span>;
  const count = blockingCount(report, policy);
  return <Verdict ok={count === 0} yes="passes" no={`${count} blocking ${count === 1 ? 'vulnerability' : 'vulnerabilities'}`} />;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/** Without a repository and reference: the form asking for them. */
const CompareForm: FC<{ repository: string; reference: string }> = ({ repository, reference }) => (
  <section>
    <h1>Compare an image with the environments</h1>
    <form method="get" action={ui('/policies/compare')} class="stack">
      <label for="compare-repository">Repository</label>
      <input id="compare-repository" name="repository" required value={repository} placeholder="team/app" />
      <label for="compare-reference">Tag or digest</label>
      <input id="compare-reference" name="reference" required value={reference} placeholder="latest" />
      <button type="submit" class="primary">
        Compare
      </button>
    </form>
  </section>
);

async function renderCompare(c: Context<WebEnv>): Promise<Response> {
  requireSignedIn(c);
  const hub = c.var.hub;
  const repository = (c.req.query('repository') ?? '').trim();
  const reference = (c.req.query('reference') ?? '').trim();
  if (!repository || !reference) return c.render(<CompareForm repository={repository} reference={reference} />, { title: 'Compare an image', section: 'policies' });

  const loaded = await loadImage(hub, repository, reference);
  const { policies, error } = readPolicies(loaded.config);
  const ports = portsOf(loaded.config);
  const namespace = namespaceOf(repository);
  // A repository the viewer pulls from a namespace it cannot list: no policies to show.
  const known = await namespacePolicies(hub, namespace).catch((err: unknown) => {
    if (toOciError(err).status === 404) return [] as EnvironmentPolicies[];
    throw err;
  });
  const report = await fetchScanReport(hub, repository, loaded.image.digest).catch(() => undefined);
  const environments = orderEnvironments([...STANDARD_ENVIRONMENTS, ...known.map((e) => e.environment)]);
  const columns: Column[] = await Promise.all(
    environments.map(async (environment) => {
      const env = known.find((e) => e.environment === environment) ?? { environment };
      const signed = env.trust ? await fetchSignatureStatus(hub, repository, loaded.top.digest, environment).then((s) => s.valid, () => null) : null;
      return { env, effective: effectivePolicy(policies, { environment, publish: [], volumes: [] }, ports), signed };
    }),
  );

  const title = `${repository}:${reference} in each environment`;
  return c.render(
    <section>
      <p>
        <a href={artifactUrl(repository, reference)}>← Back to {repository}:{reference}</a>
      </p>
      <h1>Policies of {repository}:{reference}</h1>
      <p>
        Image <Digest digest={loaded.image.digest} />
        {loaded.platform ? ` (the ${loaded.platform} image of the index)` : null}
      </p>
      {error ? (
        <Notice kind="error">{`The image's recorded policies cannot be read, so nocker run refuses it: ${error}`}</Notice>
      ) : policies ? (
        <p>
          Recorded by nocker build: security {policies.security.level ?? 'medium (default)'}, network {policies.security.network ?? 'restricted (default)'}
          {policies.resources.memory !== undefined ? `, memory ${formatSize(policies.resources.memory)}` : ''}
          {policies.resources.cpu !== undefined ? `, ${policies.resources.cpu} CPUs` : ''}.
        </p>
      ) : (
        <Notice kind="info">This image has no recorded policies (it was not built by nocker build): defaults apply — medium security on a restricted network, no resource limits.</Notice>
      )}
      <ScrollTable label={`Environments compared for ${repository}:${reference}`}>
        <table class="compare">
          <caption class="muted">What a container of this image gets with nocker run --env ENVIRONMENT, and how the Hub's policies judge it</caption>
          <thead>
            <tr>
              <td></td>
              {columns.map((column) => (
                <th scope="col">{column.env.environment}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <Row label="Security level" columns={columns} cell={(col) => col.effective.security} />
            <Row label="Network" columns={columns} cell={(col) => col.effective.network} />
            <Row label="Memory" columns={columns} cell={(col) => (col.effective.memory === undefined ? 'no limit' : formatSize(col.effective.memory))} />
            <Row label="CPU" columns={columns} cell={(col) => (col.effective.cpu === undefined ? 'no limit' : `${col.effective.cpu} CPUs`)} />
            <Row label="Processes (pids)" columns={columns} cell={(col) => String(col.effective.pids)} />
            <Row label="Signatures required to run" columns={columns} cell={(col) => yesNo(col.effective.signaturesRequired)} />
            <Row label="Throwaway container" columns={columns} cell={(col) => yesNo(col.effective.throwaway)} />
            <Row label="Hub trust policy" columns={columns} cell={(col) => (col.env.trust ? <span><ModeBadge mode={col.env.trust.mode} /> {`${col.env.trust.required} required`}</span> : <span class="muted">none</span>)} />
            <Row
              label="Signatures meet it"
              columns={columns}
              cell={(col) => (!col.env.trust ? <span class="muted">—</span> : col.signed === null ? <span class="muted">unknown</span> : <Verdict ok={col.signed} yes="yes" no="no" />)}
            />
            <Row label="Hub vulnerability policy" columns={columns} cell={(col) => (col.env.vulnerability ? <span><ModeBadge mode={col.env.vulnerability.mode} /> {`${col.env.vulnerability.severity} or worse`}</span> : <span class="muted">none</span>)} />
            <Row label="Vulnerabilities pass it" columns={columns} cell={(col) => <VulnerabilityVerdict policy={col.env.vulnerability} report={report} />} />
          </tbody>
        </table>
      </ScrollTable>
    </section>,
    { title, section: 'policies' },
  );
}

export function compareRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/policies/compare', renderCompare);
  return app;
}
