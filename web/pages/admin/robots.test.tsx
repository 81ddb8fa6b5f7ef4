/** The robot accounts page over a real test Hub: creation shows the secret once, revoking ends it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestHub } from '../../../conformance/harness.ts';
import { HubAdmin } from '../../../hub/client/admin.ts';
import { HubClient } from '../../../hub/client/client.ts';
import { importVulnerabilities } from '../../../hub/client/vulndb.ts';
import { catalogBrowser, type CatalogBrowser } from '../../testing.ts';
import { isExpired } from './robots.tsx';

const HOSTILE = '<script>alert(1)</script>';
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

describe('the robot accounts and vulnerability database pages', () => {
  let base = '';
  useTestHub((hub) => (base = hub.url));
  let admin: CatalogBrowser;
  const adminClient = () => new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });

  beforeAll(async () => {
    await new HubAdmin(adminClient()).createNamespace({ name: 'bots' });
    admin = catalogBrowser(base);
    expect((await admin.signIn()).status).toBe(303);
  });

  it('creates a robot with an expiry, shows its secret once, and revoking it ends its logins', async () => {
    const expires = tomorrow();
    const res = await admin.post('/ui/admin/robots', { name: 'deployer', description: HOSTILE, repository0: 'bots/*', pull0: 'true', push0: 'true', repository1: '', expires });
    expect(res.status).toBe(201);
    const answer = await res.text();
    expect(answer).toContain('it will not be shown again');
    const secret = /<code class="secret">([^<]+)<\/code>/.exec(answer)?.[1];
    expect(secret).toBeTruthy();
    expect(answer).toContain(`data-copy="${secret}"`);

    const robot = new HubClient({ url: base, credentials: { username: 'robot$deployer', password: secret! } });
    await robot.checkLogin();
    const stored = (await new HubAdmin(adminClient()).listRobots()).find((r) => r.name === 'robot$deployer');
    expect(stored).toMatchObject({ expiresAt: `${expires}T23:59:59.999Z`, permissions: [{ repository: 'bots/*', actions: ['pull', 'push'] }] });

    const list = await (await admin.get('/ui/admin/robots')).text();
    expect(list).not.toContain(secret);
    expect(list).toContain('<code>robot$deployer</code>');
    expect(list).not.toContain(HOSTILE);
    expect(list).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(list).toContain('href="/ui/admin/robots/robot%24deployer/delete"');

    const confirm = await admin.get('/ui/admin/robots/robot%24deployer/delete');
    expect(await confirm.text()).toContain('Revoke robot$deployer');
    const revoked = await admin.post('/ui/admin/robots/robot%24deployer/delete', {});
    expect(revoked.status).toBe(303);
    expect((await (await admin.get(revoked.headers.get('location')!)).text())).toContain('Robot robot$deployer revoked');
    await expect(new HubClient({ url: base, credentials: { username: 'robot$deployer', password: secret! } }).checkLogin()).rejects.toMatchObject({ status: 401 });
  });

  it('shows the form again with the Hub\'s reason when a robot is refused', async () => {
    const res = await admin.post('/ui/admin/robots', { name: 'no-rights', description: 'kept', repository0: 'bots/*' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('permissions[0].actions must list some of');
    expect(html).toContain('value="kept"');
  });

  it('marks robots whose expiry has passed as expired', async () => {
    await new HubAdmin(adminClient()).createRobot({ name: 'short-lived', permissions: [{ repository: 'bots/app', actions: ['pull'] }], expiresAt: new Date(Date.now() + 1_500).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const list = await (await admin.get('/ui/admin/robots')).text();
    expect(list).toMatch(/robot\$short-lived<\/code>.*?<span class="badge bad">expired<\/span>/s);
    expect(isExpired({ expiresAt: null })).toBe(false);
  });

  it('shows the vulnerability database status and its import history', async () => {
    const record = JSON.stringify({ id: 'GHSA-page-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' } }] });
    await importVulnerabilities(
      adminClient(),
      (async function* () {
        yield record;
      })(),
      `${HOSTILE}.zip`,
    );
    const res = await admin.get('/ui/admin/vulndb');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h2>Import history</h2>');
    expect(html).toContain('<td>npm</td>');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.zip');
    expect(html).toMatch(/<td>admin<\/td>/);
  });
});
