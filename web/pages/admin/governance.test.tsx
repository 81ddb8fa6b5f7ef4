/** The governance pages over a real test Hub, browsed as an administrator and as a reader. */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, useTestHub } from '../../../conformance/harness.ts';
import { HubAdmin } from '../../../hub/client/admin.ts';
import { HubClient } from '../../../hub/client/client.ts';
import { catalogBrowser, type CatalogBrowser } from '../../testing.ts';

const HOSTILE = '<script>alert(1)</script>';
const ADMIN_PAGES = ['/ui/admin', '/ui/admin/users', '/ui/admin/namespaces', '/ui/admin/namespaces/anything', '/ui/admin/robots', '/ui/admin/vulndb', '/ui/admin/audit', '/ui/admin/users/reader/delete'];

describe('the governance pages', () => {
  let base = '';
  useTestHub((hub) => (base = hub.url));
  let admin: CatalogBrowser;
  const api = () => new HubAdmin(new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } }));
  const page = async (path: string) => {
    const res = await admin.get(path);
    expect(res.status, path).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    await api().createUser({ name: 'reader', password: 'reader-password-1' });
    admin = catalogBrowser(base);
    expect((await admin.signIn()).status).toBe(303);
  });

  it('shows the Hub health: fs storage, the PGlite database, the scan queue, GC runs', async () => {
    const gc = await fetch(`${base}/api/v1/gc`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ dryRun: true }),
    });
    expect(gc.status).toBe(200);
    const html = await page('/ui/admin');
    expect(html).toContain('<h1>Hub health</h1>');
    if (!process.env.NOCKER_TEST_S3_ENDPOINT) expect(html).toContain('<code>fs</code>');
    if (!process.env.NOCKER_TEST_DATABASE_URL) expect(html).toContain('<code>pglite</code>');
    expect(html).toMatch(/<dt>Queued<\/dt><dd>\d+<\/dd>/);
    expect(html).toMatch(/<dt>Running<\/dt><dd>\d+<\/dd>/);
    expect(html).toMatch(/<dt>Retrying<\/dt><dd>\d+<\/dd>/);
    expect(html).toMatch(/<dt>Failed scans<\/dt><dd>\d+<\/dd>/);
    expect(html).toContain('dry run');
    for (const link of ['/ui/admin/users', '/ui/admin/namespaces', '/ui/admin/robots', '/ui/admin/vulndb', '/ui/admin/audit']) expect(html).toContain(`href="${link}"`);
    expect(html).toMatch(/<a href="\/ui\/admin" aria-current="page">Health<\/a>/);
  });

  it('creates a user through the form, disables and deletes them after a confirmation page', async () => {
    const created = await admin.post('/ui/admin/users', { name: 'carol', password: 'carol-password-1', admin: 'true' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/ui/admin/users?done=user-created&subject=carol');
    expect(await page(created.headers.get('location')!)).toContain('User carol created.');
    expect(await api().getUser('carol')).toMatchObject({ admin: true, disabled: false });

    expect((await admin.post('/ui/admin/users/carol', { disabled: 'true' })).status).toBe(303);
    expect(await api().getUser('carol')).toMatchObject({ disabled: true });
    expect((await admin.post('/ui/admin/users/carol', { admin: 'false' })).status).toBe(303);
    expect(await api().getUser('carol')).toMatchObject({ admin: false });
    expect((await admin.post('/ui/admin/users/carol', { password: 'a-new-password-2' })).status).toBe(303);

    const confirm = await page('/ui/admin/users/carol/delete');
    expect(confirm).toContain('action="/ui/admin/users/carol/delete"');
    expect((await admin.post('/ui/admin/users/carol/delete', {})).status).toBe(303);
    await expect(api().getUser('carol')).rejects.toMatchObject({ status: 404 });
  });

  it('shows a refused form again with the reason, and the name escaped', async () => {
    const res = await admin.post('/ui/admin/users', { name: HOSTILE, password: 'whatever-password' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('class="notice error"');
  });

  it('creates a namespace, adds a member with a role, changes it and removes them', async () => {
    const created = await admin.post('/ui/admin/namespaces', { name: 'governed', visibility: 'public', deletePolicy: 'maintainer', immutableTags: 'true' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/ui/admin/namespaces/governed?done=namespace-created&subject=governed');
    expect(await api().getNamespace('governed')).toMatchObject({ visibility: 'public', immutableTags: true, deletePolicy: 'maintainer' });

    expect((await admin.post('/ui/admin/namespaces/governed/members', { account: 'reader', role: 'maintainer' })).status).toBe(303);
    expect(await api().listMembers('governed')).toContainEqual(expect.objectContaining({ name: 'reader', role: 'maintainer' }));
    const detail = await page('/ui/admin/namespaces/governed');
    expect(detail).toContain('<th scope="row">reader</th>');
    expect(detail).toMatch(/<option value="maintainer" selected="">maintainer<\/option>/);
    const list = await page('/ui/admin/namespaces');
    expect(list).toMatch(/governed<\/a><\/th><td>public<\/td>/);

    expect((await admin.post('/ui/admin/namespaces/governed/members', { account: 'reader', role: 'reader' })).status).toBe(303);
    expect(await api().listMembers('governed')).toContainEqual(expect.objectContaining({ name: 'reader', role: 'reader' }));
    expect((await admin.post('/ui/admin/namespaces/governed', { visibility: 'private', deletePolicy: 'owner' })).status).toBe(303);
    expect(await api().getNamespace('governed')).toMatchObject({ visibility: 'private', immutableTags: false, deletePolicy: 'owner' });

    expect(await page('/ui/admin/namespaces/governed/members/reader/remove')).toContain('Remove reader');
    expect((await admin.post('/ui/admin/namespaces/governed/members/reader/remove', {})).status).toBe(303);
    expect(await api().listMembers('governed')).not.toContainEqual(expect.objectContaining({ name: 'reader' }));

    const unknown = await admin.post('/ui/admin/namespaces/governed/members', { account: 'nobody-here', role: 'reader' });
    expect(unknown.status).toBe(400);
    expect((await admin.post('/ui/admin/namespaces/governed/delete', {})).status).toBe(303);
    await expect(api().getNamespace('governed')).rejects.toMatchObject({ status: 404 });
  });

  it('lists and filters the audit log, with hostile text escaped and a next page', async () => {
    for (let i = 0; i < 3; i++) await api().createNamespace({ name: `audited${i}` });
    await api().createRobot({ name: 'audit-bot', permissions: [{ repository: 'audited0/*', actions: ['pull'] }] });
    const filtered = await page('/ui/admin/audit?action=namespace.create');
    expect(filtered).toContain('<label for="audit-action">Action</label>');
    expect(filtered).toContain('value="namespace.create"');
    expect(filtered).toContain('{&quot;namespace&quot;:&quot;audited2&quot;}');
    expect(filtered).not.toContain('<code>robot.create</code>');

    // A login attempt under a name that is markup: the audit log records it as the actor.
    const hostile = new HubClient({ url: base, credentials: { username: HOSTILE, password: 'x' } });
    await expect(hostile.checkLogin()).rejects.toBeTruthy();
    const logins = await page('/ui/admin/audit?action=login');
    expect(logins).not.toContain(HOSTILE);
    expect(logins).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    // Paging: the API's cursor, with the filters kept in the link.
    const newest = await page('/ui/admin/audit?actor=admin&action=namespace.create&limit=2');
    expect(newest).toContain('audited2');
    expect(newest).not.toContain('audited0');
    const next = /<a href="([^"]+)" rel="next">/.exec(newest)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toMatch(/^\/ui\/admin\/audit\?actor=admin&action=namespace.create&limit=2&before=\d+$/);
    const older = await page(next!);
    expect(older).toContain('audited0');
    expect(older).not.toContain('audited2');
  });

  it('refuses readers and anonymous visitors every page and every form', async () => {
    const reader = catalogBrowser(base);
    expect((await reader.signIn('reader', 'reader-password-1')).status).toBe(303);
    const anonymous = catalogBrowser(base);
    for (const path of ADMIN_PAGES) {
      const denied = await reader.get(path);
      expect(denied.status, path).toBe(403);
      expect(await denied.text()).toContain('only administrators may see this page');
      expect((await anonymous.get(path)).status, path).toBe(401);
    }
    const posts: [string, Record<string, string>][] = [
      ['/ui/admin/users', { name: 'mallory', password: 'mallory-password-1', admin: 'true' }],
      ['/ui/admin/users/reader', { admin: 'true' }],
      ['/ui/admin/users/reader/delete', {}],
      ['/ui/admin/namespaces', { name: 'mallory' }],
      ['/ui/admin/robots', { name: 'mallory', repository0: '*', pull0: 'true' }],
      ['/ui/admin/robots/robot$x/delete', {}],
    ];
    for (const [path, fields] of posts) expect((await reader.post(path, fields)).status, path).toBe(403);
    expect(await api().getUser('reader')).toMatchObject({ admin: false });
    await expect(api().getUser('mallory')).rejects.toMatchObject({ status: 404 });
  });
});
