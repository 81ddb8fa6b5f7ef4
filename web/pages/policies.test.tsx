import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../conformance/auth-helpers.ts';
import { useTestHub } from '../../conformance/harness.ts';
import { TEST_ADMIN } from '../../conformance/helpers.ts';
import { imageConfig } from '../../engine/image/config.ts';
import { imageManifest } from '../../engine/image/manifest.ts';
import { LAYER_MEDIA_TYPE } from '../../engine/build/layer.ts';
import { keyId, loadPublicKey } from '../../engine/sign/keys.ts';
import { sha256 } from '../../cli/testing.ts';
import { HubAdmin } from '../../hub/client/admin.ts';
import { HubClient } from '../../hub/client/client.ts';
import { pushImage } from '../../hub/client/push.ts';
import { VulnerabilityPolicies } from '../../hub/client/vulnerability-policies.ts';
import { catalogBrowser, type CatalogBrowser } from '../testing.ts';

const HOSTILE = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

let base = '';
useTestHub((hub) => (base = hub.url));

const p256Pem = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Pushes a one-layer image whose config carries `labels`. */
async function pushLabelled(client: HubClient, repository: string, tag: string, labels: Record<string, string>): Promise<string> {
  const bytes = Buffer.from(`layer of ${repository}:${tag} ${JSON.stringify(labels)}`);
  const layer = { mediaType: LAYER_MEDIA_TYPE, digest: sha256(bytes), size: bytes.length, bytes };
  const config = imageConfig({ os: 'linux', architecture: 'amd64', diffIds: [layer.digest], created: 0, config: { Cmd: ['/bin/sh'], Labels: labels } });
  const manifest = imageManifest({ config, layers: [layer], created: 0 });
  await pushImage(client, repository, tag, { config, layers: [layer], manifest });
  return manifest.digest;
}

/** The text of one row of the compare table, cell by cell (tags stripped). */
function rowCells(html: string, label: string): string[] {
  const row = new RegExp(`<th scope="row">${label}</th>(.*?)</tr>`, 's').exec(html)?.[1] ?? '';
  return [...row.matchAll(/<td>(.*?)<\/td>/gs)].map((m) => m[1]!.replace(/<[^>]+>/g, '').trim());
}

describe('the environments and policies pages', () => {
  let admin: HubAdmin;
  let ns: string;
  let owner: CatalogBrowser;
  let reader: CatalogBrowser;
  const pem = p256Pem();

  beforeAll(async () => {
    const client = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    admin = new HubAdmin(client);
    ns = uniqueName('pol');
    await admin.createNamespace({ name: ns, visibility: 'private' });
    const accounts = { owner: uniqueName('owner'), reader: uniqueName('reader') };
    for (const [role, name] of Object.entries(accounts)) {
      await admin.createUser({ name, password: `pw-${name}` });
      await admin.setMember(ns, name, role as 'owner' | 'reader');
    }
    owner = catalogBrowser(base);
    expect((await owner.signIn(accounts.owner, `pw-${accounts.owner}`)).status).toBe(303);
    reader = catalogBrowser(base);
    expect((await reader.signIn(accounts.reader, `pw-${accounts.reader}`)).status).toBe(303);
  });

  it('lets an owner set both policies through the forms, then lists them in full with the audit trail', async () => {
    const trust = await owner.post(`/ui/policies/${ns}/trust`, { environment: 'production', mode: 'enforce', required: '1', keys: `release=${pem}`, identities: '', roots: '' });
    expect(trust.status, await trust.clone().text()).toBe(303);
    expect(trust.headers.get('location')).toBe(`/ui/policies/${ns}?done=trust-set&environment=production`);
    const allowlist = `CVE-2024-1@2030-01-31=${HOSTILE}\nCVE-2020-2@2020-01-01=long gone`;
    const vulnerability = await owner.post(`/ui/policies/${ns}/vulnerability`, { environment: 'production', mode: 'warn', severity: 'high', allowlist });
    expect(vulnerability.status, await vulnerability.clone().text()).toBe(303);

    // The API holds what the forms said.
    expect(await admin.getPolicy(ns, 'production')).toMatchObject({ mode: 'enforce', required: 1, keys: [{ name: 'release' }], version: 1 });
    expect(await new VulnerabilityPolicies(admin.client).get(ns, 'production')).toMatchObject({
      mode: 'warn',
      severity: 'high',
      allowlist: [{ id: 'CVE-2024-1', expires: '2030-01-31', reason: HOSTILE }, { id: 'CVE-2020-2', expires: '2020-01-01', reason: 'long gone' }],
    });

    const res = await owner.get(`/ui/policies/${ns}?done=trust-set&environment=production`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('The production trust policy saved.');
    expect(html).toContain('Environment production');
    expect(html).toContain(keyId(loadPublicKey(pem)));
    expect(html).toContain('CVE-2024-1');
    expect(html).toMatch(/2020-01-01 <span class="badge bad">expired<\/span>/);
    expect(html).not.toMatch(/2030-01-31 <span class="badge bad">expired/);
    // Attacker-typed text (the allowlist reason) comes out escaped, in the table and in the form.
    expect(html).toContain(ESCAPED);
    expect(html).not.toContain(HOSTILE);
    // Owners get the forms and the audit trail, newest first.
    expect(html).toContain(`action="/ui/policies/${ns}/trust"`);
    expect(html).toContain(`action="/ui/policies/${ns}/vulnerability"`);
    const trail = html.slice(html.indexOf('id="policy-audit"'));
    expect(trail.indexOf('vulnerability policy set')).toBeGreaterThan(-1);
    expect(trail.indexOf('vulnerability policy set')).toBeLessThan(trail.indexOf('trust policy set'));
    expect(trail).toContain('<td>production</td><td>enforce</td>');

    const overview = await (await owner.get('/ui/policies')).text();
    expect(overview).toContain(`href="/ui/policies/${ns}"`);
    expect(overview).toContain('1 required of 1 signer (1 key, 0 identities)');
    expect(overview).toContain('high or worse, 2 allowlisted');
  });

  it('shows a reader the policies without forms, and the API refuses a reader\'s POST', async () => {
    await admin.setPolicy(ns, 'testing', { mode: 'warn', keys: [{ name: 'ci', pem }] });
    const html = await (await reader.get(`/ui/policies/${ns}`)).text();
    expect(html).toContain('Environment testing');
    expect(html).toContain('ci');
    expect(html).not.toContain('<form method="post" action="/ui/policies/');
    expect(html).not.toContain('Audit trail');
    const refused = await reader.post(`/ui/policies/${ns}/trust`, { environment: 'testing', mode: 'off', required: '1', keys: '', identities: '', roots: '' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(`only owners of ${ns} and administrators may change its trust policies`);
    expect(await admin.getPolicy(ns, 'testing')).toMatchObject({ mode: 'warn', version: 1 });
    // Nor does the confirmation page help a reader delete.
    const deleted = await reader.post(`/ui/policies/${ns}/delete`, { kind: 'trust', environment: 'testing' });
    expect(deleted.status).toBe(403);
  });

  it('re-renders a refused form with the API\'s message and the input kept', async () => {
    const res = await owner.post(`/ui/policies/${ns}/trust`, { environment: 'production', mode: 'enforce', required: '1', keys: 'broken=not a pem at all', identities: '', roots: '' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('key &quot;broken&quot;');
    expect(html).toContain('>broken=not a pem at all</textarea>');
    expect(html).toMatch(/<details class="policy-edit" open="">\s*<summary>Edit the production trust policy/);

    const badName = await owner.post(`/ui/policies/${ns}/vulnerability`, { environment: 'Not An Env', add: '1', mode: 'enforce', severity: 'critical', allowlist: 'CVE-1' });
    expect(badName.status).toBe(400);
    const page = await badName.text();
    expect(page).toContain('is not a valid environment name');
    expect(page).toContain('value="Not An Env"');
    expect(await admin.getPolicy(ns, 'production')).toMatchObject({ version: 1 });
  });

  it('adds an environment by name, and deletes a policy after a confirmation page', async () => {
    const added = await owner.post(`/ui/policies/${ns}/vulnerability`, { environment: 'staging', add: '1', mode: 'enforce', severity: 'critical', allowlist: '' });
    expect(added.status, await added.clone().text()).toBe(303);
    expect(await (await owner.get(`/ui/policies/${ns}`)).text()).toContain('Environment staging');

    const confirm = await owner.get(`/ui/policies/${ns}/delete?kind=vulnerability&environment=staging`);
    expect(confirm.status).toBe(200);
    const form = await confirm.text();
    expect(form).toContain(`Delete the staging vulnerability policy of ${ns}?`);
    expect(form).toContain('name="_csrf"');
    const done = await owner.post(`/ui/policies/${ns}/delete`, { kind: 'vulnerability', environment: 'staging' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/ui/policies/${ns}?done=vulnerability-deleted&environment=staging`);
    await expect(new VulnerabilityPolicies(admin.client).get(ns, 'staging')).rejects.toThrow(/no vulnerability policy/);
    expect((await owner.get(`/ui/policies/${ns}/delete?kind=vulnerability&environment=staging`)).status).toBe(404);
  });

  it('compares an image\'s recorded policies with each environment and the Hub\'s policies', async () => {
    const digest = await pushLabelled(admin.client, `${ns}/app`, 'v1', {
      'dev.nocker.policies': '{"security":{"level":"high","network":"none"},"resources":{"memory":67108864}}',
      'org.example.note': HOSTILE,
    });
    const res = await owner.get(`/ui/policies/compare?repository=${ns}/app&reference=v1`);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    const columns = [...html.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(columns.slice(0, 4)).toEqual(['production', 'testing', 'development', 'embedded']);
    expect(rowCells(html, 'Security level')[0]).toBe('high');
    expect(rowCells(html, 'Security level')[2]).toBe('low');
    expect(rowCells(html, 'Network')[0]).toBe('none');
    expect(rowCells(html, 'Memory')[0]).toBe('64 MiB');
    expect(rowCells(html, 'Processes \\(pids\\)')[3]).toBe('64');
    expect(rowCells(html, 'Signatures required to run').slice(0, 4)).toEqual(['yes', 'no', 'no', 'yes']);
    expect(rowCells(html, 'Throwaway container')[1]).toBe('yes');
    // Production has an enforced trust policy the unsigned image does not meet.
    expect(rowCells(html, 'Hub trust policy')[0]).toBe('enforce 1 required');
    expect(rowCells(html, 'Signatures meet it')[0]).toBe('no');
    expect(rowCells(html, 'Hub vulnerability policy')[0]).toBe('warn high or worse');
    expect(['passes', 'not scanned yet', 'not scanned', 'scan failed']).toContain(rowCells(html, 'Vulnerabilities pass it')[0]);
    expect(html).toContain(`href="/ui/r/${ns}/app/-/v1"`);
    expect(html).toContain(digest.slice(0, 19));
    expect(html).not.toContain(HOSTILE);
  });

  it('says when an image has no recorded policies, and escapes an unreadable hostile label', async () => {
    await pushLabelled(admin.client, `${ns}/plain`, 'v1', {});
    const plain = await (await owner.get(`/ui/policies/compare?repository=${ns}/plain&reference=v1`)).text();
    expect(plain).toContain('This image has no recorded policies');
    expect(rowCells(plain, 'Security level')[0]).toBe('medium');
    expect(rowCells(plain, 'Network')[0]).toBe('restricted');

    await pushLabelled(admin.client, `${ns}/hostile`, 'v1', { 'dev.nocker.policies': `{"security":{"level":"${HOSTILE}"}}` });
    const res = await owner.get(`/ui/policies/compare?repository=${ns}/hostile&reference=v1`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('recorded policies cannot be read');
    expect(html).toContain(ESCAPED);
    expect(html).not.toContain(HOSTILE);
  });

  it('sends anonymous visitors to sign in', async () => {
    const res = await catalogBrowser(base).get('/ui/policies');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('sign in');
  });
});
