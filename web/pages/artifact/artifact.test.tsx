/** The artifact page and its tabs, against a real Hub with images, an index and a referrer pushed to it. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestHub } from '../../../conformance/harness.ts';
import { pushPlatformIndex, pushSampleImage, type SampleImage } from '../../../cli/testing.ts';
import { imageConfig } from '../../../engine/image/config.ts';
import { imageManifest } from '../../../engine/image/manifest.ts';
import { HubClient } from '../../../hub/client/client.ts';
import { pushBlob, pushImage, putManifest } from '../../../hub/client/push.ts';
import { fetchScanReport } from '../../../hub/client/scans.ts';
import { VulnerabilityPolicies } from '../../../hub/client/vulnerability-policies.ts';
import { importVulnerabilities } from '../../../hub/client/vulndb.ts';
import { EMPTY_DESCRIPTOR, MediaType } from '../../../hub/oci/mediatypes.ts';
import { rawTar } from '../../../hub/oci/testing-archives.ts';
import { artifactUrl } from '../../paths.ts';
import { catalogBrowser, type CatalogBrowser } from '../../testing.ts';
import { pairLayers } from './layers.tsx';
import { friendlyType } from './referrers.tsx';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const HOSTILE = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const VULN_ID = 'GHSA-test-0000-0001';
const POLICIES = JSON.stringify({ security: { level: 'high', network: 'restricted' }, resources: { cpu: 1, memory: 268435456 } });

/** An image with lodash 4.17.20 in it, a config with env, ports and labels, and hostile text in labels, history and annotations. */
async function pushRichImage(client: HubClient, repository: string, tag: string): Promise<{ digest: string; size: number; layer: string; diffId: string }> {
  const tar = rawTar([{ path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20' }) }]);
  const bytes = gzipSync(tar);
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(bytes), size: bytes.length, bytes };
  const config = imageConfig({
    os: 'linux',
    architecture: 'amd64',
    diffIds: [sha256(tar)],
    created: 1_700_000_000,
    history: [{ created_by: 'ENV MODE=production', empty_layer: true }, { created_by: `COPY app /app # ${HOSTILE}` }],
    config: {
      User: 'app',
      WorkingDir: '/srv/app',
      Env: ['PATH=/usr/bin:/bin', 'MODE=production'],
      Entrypoint: ['/usr/bin/node'],
      Cmd: ['server.js'],
      ExposedPorts: { '8080/tcp': {} },
      Labels: { 'dev.nocker.policies': POLICIES, 'dev.nocker.ports': '["8080:8080/tcp"]', 'org.example.note': HOSTILE },
    },
  });
  const manifest = imageManifest({
    config,
    layers: [layer],
    created: 1_700_000_000,
    annotations: { 'org.example.hostile': HOSTILE, 'dev.nocker.dependencies': JSON.stringify(['127.0.0.1:5000/team/data:v1@sha256:' + 'a'.repeat(64)]) },
  });
  await pushImage(client, repository, tag, { config, layers: [layer], manifest });
  return { digest: manifest.digest, size: manifest.size, layer: layer.digest, diffId: sha256(tar) };
}

/** A build log (text/plain) that refers to `subject`. */
async function pushBuildLog(client: HubClient, repository: string, subject: { digest: string; size: number }): Promise<string> {
  const log = Buffer.from(`step 1/1: COPY app /app\n${HOSTILE}\n`);
  await pushBlob(client, repository, { ...EMPTY_DESCRIPTOR, bytes: Buffer.from('{}') });
  await pushBlob(client, repository, { mediaType: 'text/plain', digest: sha256(log), size: log.length, bytes: log });
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: 'application/vnd.nocker.build.log.v1',
      config: EMPTY_DESCRIPTOR,
      layers: [{ mediaType: 'text/plain', digest: sha256(log), size: log.length, annotations: { 'org.opencontainers.image.title': 'build.log' } }],
      subject: { mediaType: MediaType.OciManifest, digest: subject.digest, size: subject.size },
      annotations: { 'org.opencontainers.image.created': '2026-01-02T03:04:05Z' },
    }),
  );
  return putManifest(client, repository, sha256(bytes), { mediaType: MediaType.OciManifest, digest: sha256(bytes), bytes });
}

async function poll<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the artifact page', () => {
  let base = '';
  useTestHub((hub) => (base = hub.url));
  let client: HubClient;
  let browser: CatalogBrowser;
  let image: { digest: string; size: number; layer: string; diffId: string };
  let amd64: SampleImage;
  let arm64: SampleImage;
  let logDigest: string;

  const page = async (path: string, status = 200): Promise<string> => {
    const res = await browser.get(path);
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(status);
    return html;
  };

  beforeAll(async () => {
    client = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    // The vulnerability database first, so that the image's first scan matches it.
    const record = JSON.stringify({
      id: VULN_ID,
      modified: '2026-01-01T00:00:00Z',
      summary: `lodash is vulnerable ${HOSTILE}`,
      aliases: ['CVE-2099-4242'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N' }],
      affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
    });
    await importVulnerabilities(client, (async function* () {
      yield record;
    })());
    image = await pushRichImage(client, 'team/app', 'v1');
    logDigest = await pushBuildLog(client, 'team/app', image);
    amd64 = await pushSampleImage(client, 'team/multi', 'amd64', 'amd64');
    arm64 = await pushSampleImage(client, 'team/multi', 'arm64', 'arm64');
    await pushPlatformIndex(client, 'team/multi', 'multi', [
      { ...amd64, architecture: 'amd64' },
      { ...arm64, architecture: 'arm64' },
    ]);
    await new VulnerabilityPolicies(client).set('team', 'production', { mode: 'warn', severity: 'critical', allowlist: [{ id: VULN_ID, expires: '2999-12-31', reason: 'not reachable' }] });
    browser = catalogBrowser(base);
    await browser.signIn();
  });

  it('shows the header: title, digest, type, pull command, unsigned chip and policy line, and the tab bar', async () => {
    const html = await page(artifactUrl('team/app', 'v1'));
    expect(html).toContain('<h1>team/app:v1</h1>');
    expect(html).toContain(image.digest);
    expect(html).toContain('application/vnd.oci.image.manifest.v1+json');
    expect(html).toContain('<dd>image</dd>');
    expect(html).toContain(`docker pull ${new URL(base).host}/team/app:v1`);
    expect(html).toContain('<span class="chip">unsigned</span>');
    expect(html).toContain('production policy: none');
    for (const label of ['Overview', 'Layers', 'Referrers', 'SBOM', 'Vulnerabilities', 'Dependencies', 'Manifest']) expect(html).toContain(`>${label}</a>`);
    expect(html).toContain(`href="${artifactUrl('team/app', 'v1', 'layers')}"`);
    expect(html).not.toContain('style=');
  });

  it('shows the overview from the config, with the recorded policies and hostile labels escaped', async () => {
    const html = await page(artifactUrl('team/app', 'v1'));
    expect(html).toContain('linux/amd64');
    expect(html).toContain('[&quot;/usr/bin/node&quot;]');
    expect(html).toContain('/srv/app');
    expect(html).toContain('8080/tcp');
    expect(html).toContain('<code>MODE</code>');
    expect(html).toContain('<dt>security</dt>');
    expect(html).toContain('<dt>level</dt>');
    expect(html).toContain('<code>restricted</code>');
    expect(html).toContain('8080:8080/tcp');
    expect(html).toContain('Pinned dependencies');
    expect(html).toContain('/ui/policies/compare?repository=team%2Fapp&amp;reference=' + encodeURIComponent(image.digest));
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(ESCAPED);
    // The same page by digest is titled with the digest.
    expect(await page(artifactUrl('team/app', image.digest))).toContain(`<h1>team/app@${image.digest}</h1>`);
  });

  it('lists the layers with diff IDs and history, empty steps marked, and the total', async () => {
    const html = await page(artifactUrl('team/app', 'v1', 'layers'));
    expect(html).toContain(image.layer);
    expect(html).toContain(image.diffId);
    expect(html).toContain('ENV MODE=production');
    expect(html).toContain('empty layer');
    expect(html).toContain('1 layer,');
    expect(html).toContain('Total');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(ESCAPED);
  });

  it('pairs history with layers, skipping empty steps', () => {
    const layer = (n: number) => ({ mediaType: 'x/y', digest: `sha256:${String(n).repeat(64)}`, size: n });
    const rows = pairLayers([layer(1), layer(2)], ['sha256:d1'], [{ empty: true, createdBy: 'ENV' }, { empty: false, createdBy: 'RUN a' }]);
    expect(rows.map((r) => (r.kind === 'empty' ? 'empty' : `${r.index}:${r.diffId ?? '-'}:${r.step?.createdBy ?? '-'}`))).toEqual(['empty', '0:sha256:d1:RUN a', '1:-:-']);
  });

  it('lists referrers with friendly names, and views a build log as text, escaped', async () => {
    const html = await page(artifactUrl('team/app', 'v1', 'referrers'));
    expect(html).toContain('build log');
    expect(html).toContain(logDigest);
    const viewUrl = artifactUrl('team/app', 'v1', 'referrers', { view: logDigest });
    expect(html).toContain(viewUrl.replace(/&/g, '&amp;'));
    const view = await page(viewUrl);
    expect(view).toContain('step 1/1: COPY app /app');
    expect(view).toContain('application/vnd.nocker.build.log.v1');
    expect(view).not.toContain(HOSTILE);
    expect(view).toContain(ESCAPED);
    await page(artifactUrl('team/app', 'v1', 'referrers', { view: `sha256:${'0'.repeat(64)}` }), 404);
    expect(friendlyType({ artifactType: 'application/spdx+json' })).toBe('SPDX SBOM');
    expect(friendlyType({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: { 'dev.sigstore.bundle.predicateType': 'x' } })).toBe('attestation');
    expect(friendlyType({ artifactType: 'application/x-unknown' })).toBe('other');
  });

  it('shows the manifest, and downloads its exact bytes', async () => {
    const html = await page(artifactUrl('team/app', 'v1', 'manifest'));
    expect(html).toContain('&quot;schemaVersion&quot;: 2');
    expect(html).not.toContain(HOSTILE);
    const res = await browser.get(artifactUrl('team/app', 'v1', 'manifest', { download: 1 }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/vnd.oci.image.manifest.v1+json');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="team_app-[0-9a-f]{12}\.manifest\.json"$/);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(image.digest);
  });

  it('shows the SBOM once the scanner attached one, and downloads both formats', async () => {
    const html = await poll(async () => {
      const text = await page(artifactUrl('team/app', 'v1', 'sbom'));
      return text.includes('sbom-components') ? text : undefined;
    }, 'the SBOM');
    expect(html).toContain('lodash');
    expect(html).toContain('pkg:npm/lodash@4.17.20');
    expect(html).toContain('data-filter-table="sbom-components"');
    expect(html).toContain('<label for="sbom-filter">');
    const cdx = await browser.get(artifactUrl('team/app', 'v1', 'sbom', { download: 'cyclonedx' }));
    expect(cdx.status).toBe(200);
    expect(cdx.headers.get('content-type')).toMatch(/json/);
    expect(cdx.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.cdx\.json"$/);
    expect(((await cdx.json()) as { bomFormat?: string }).bomFormat).toBe('CycloneDX');
    const spdx = await poll(async () => {
      const res = await browser.get(artifactUrl('team/app', 'v1', 'sbom', { download: 'spdx' }));
      if (res.status === 200) return res;
      await res.body?.cancel();
      return undefined;
    }, 'the SPDX SBOM');
    expect(spdx.headers.get('content-disposition')).toMatch(/\.spdx\.json"$/);
    expect(((await spdx.json()) as { spdxVersion?: string }).spdxVersion).toMatch(/^SPDX-/);
    await page(artifactUrl('team/app', 'v1', 'sbom', { download: 'nonsense' }), 400);
  });

  it('lists vulnerabilities with the allowlist, filters them on the server, and exports CSV', async () => {
    await poll(async () => {
      const report = await fetchScanReport(client, 'team/app', image.digest);
      return report.status === 'done' && report.vulnerabilities.length > 0 ? report : undefined;
    }, 'the scan');
    const html = await page(artifactUrl('team/app', 'v1', 'vulnerabilities'));
    expect(html).toContain(`href="https://osv.dev/vulnerability/${VULN_ID}"`);
    expect(html).toContain('CVE-2099-4242');
    expect(html).toContain('4.17.21');
    expect(html).toContain('<td>yes</td>');
    expect(html).toContain('<label for="vuln-severity">');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(ESCAPED);

    const filtered = await page(artifactUrl('team/app', 'v1', 'vulnerabilities', { severity: 'critical' }));
    expect(filtered).not.toContain(`>${VULN_ID}</a>`);
    expect(filtered).toContain('No finding matches the filter.');
    expect(await page(artifactUrl('team/app', 'v1', 'vulnerabilities', { q: 'LODASH' }))).toContain(`>${VULN_ID}</a>`);

    const csv = await browser.get(artifactUrl('team/app', 'v1', 'vulnerabilities', { format: 'csv', q: 'cve-2099' }));
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.vulnerabilities\.csv"$/);
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe('id,aliases,severity,score,package,installed,fixed,layer,via,allowlisted');
    expect(lines[1]).toMatch(new RegExp(`^${VULN_ID},CVE-2099-4242,\\w+,[^,]*,lodash,4\\.17\\.20,4\\.17\\.21,sha256:[0-9a-f]{64},,yes$`));
    expect(lines.slice(2)).toEqual(['']);
    const none = await (await browser.get(artifactUrl('team/app', 'v1', 'vulnerabilities', { format: 'csv', severity: 'low' }))).text();
    expect(none).toBe('id,aliases,severity,score,package,installed,fixed,layer,via,allowlisted\r\n');

    // An expired allowlist entry lets nothing through.
    await new VulnerabilityPolicies(client).set('team', 'production', { mode: 'warn', severity: 'critical', allowlist: [{ id: VULN_ID, expires: '2001-01-01' }] });
    const expired = await page(artifactUrl('team/app', 'v1', 'vulnerabilities'));
    expect(expired).toContain('<td>no</td>');
    expect(expired).not.toContain('<td>yes</td>');
  });

  it('offers an index\'s platforms, describes the chosen one, and keeps it on every tab link', async () => {
    const html = await page(artifactUrl('team/multi', 'multi'));
    expect(html).toContain('<dd>index</dd>');
    expect(html).toContain('<label for="platform">Platform</label>');
    expect(html).toMatch(/<select id="platform" name="platform"><option value="linux\/amd64" selected="">linux\/amd64<\/option><option value="linux\/arm64">linux\/arm64<\/option><\/select>/);
    expect(html).toContain(amd64.digest);
    const arm = await page(artifactUrl('team/multi', 'multi', 'overview', { platform: 'linux/arm64' }));
    expect(arm).toContain('<option value="linux/arm64" selected="">');
    expect(arm).toContain(arm64.digest);
    expect(arm).toContain(`href="${artifactUrl('team/multi', 'multi', 'layers', { platform: 'linux/arm64' })}"`);
    const layers = await page(artifactUrl('team/multi', 'multi', 'layers', { platform: 'linux/arm64' }));
    expect(layers).toContain(arm64.layer.digest);
    expect(layers).not.toContain(amd64.layer.digest);
    const referrers = await page(artifactUrl('team/multi', 'multi', 'referrers'));
    expect(referrers).toContain('Each image of the index has its own referrers');
    await page(artifactUrl('team/multi', 'multi', 'overview', { platform: 'linux/s390x' }), 404);
  });

  it('answers an unknown tab, tag or repository with the catalog\'s 404 page', async () => {
    expect(await page('/ui/r/team/app/-/v1/nonsense', 404)).toContain('Not found');
    await page(artifactUrl('team/app', 'nope'), 404);
    await page(artifactUrl('team/none', 'v1'), 404);
  });
});
