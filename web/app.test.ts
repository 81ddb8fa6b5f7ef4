import { describe, expect, it } from 'vitest';
import { useTestHub } from '../conformance/harness.ts';
import { ADMIN_AUTHORIZATION, TEST_ADMIN } from '../conformance/helpers.ts';
import { pushSampleImage } from '../cli/testing.ts';
import { HubClient } from '../hub/client/client.ts';
import type { AuditPage } from '../hub/client/admin.ts';
import { catalogBrowser } from './testing.ts';
import { SESSION_COOKIE } from './session.ts';

describe('the web catalog shell', () => {
  let base = '';
  useTestHub((hub) => (base = hub.url));

  it('is where the Hub root leads, and serves pages under a strict CSP with a nonce', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const page = await catalogBrowser(base).get('/ui/signin');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain(`nonce="${nonce}"`);
    expect(html).toMatch(/^<!DOCTYPE html>/);
  });

  it('signs in with the Hub\'s users into an HttpOnly, SameSite session cookie, and out again', async () => {
    const browser = catalogBrowser(base);
    const wrong = await browser.signIn('admin', 'not the password');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('the name or password is wrong');

    const res = await browser.signIn();
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/explore');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/ui/);
    const sealed = browser.cookies.get(SESSION_COOKIE)!;

    expect(await (await browser.get('/ui/signin')).text()).toBe(''); // signed in: redirected away
    await browser.post('/ui/signout', {});
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);

    // The old cookie is dead: its token was revoked.
    const replay = catalogBrowser(base);
    replay.cookies.set(SESSION_COOKIE, sealed);
    const page = await replay.get('/ui/signin');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Sign in');
  });

  it('refuses forms sent cross-origin or without the CSRF token, and leaves OCI clients alone', async () => {
    const browser = catalogBrowser(base);
    const crossOrigin = await browser.post('/ui/signin', { name: 'admin', password: 'x' }, { origin: 'https://evil.example' });
    expect(crossOrigin.status).toBe(403);
    expect(await crossOrigin.text()).toContain('sent from another site');
    const noToken = await browser.post('/ui/signin', { name: 'admin', password: 'x' }, { csrf: null });
    expect(noToken.status).toBe(403);
    const forged = await browser.post('/ui/signin', { name: 'admin', password: 'x' }, { csrf: 'A'.repeat(32) });
    expect(forged.status).toBe(403);

    // A registry request from another origin is not a form: no CSRF rules, no CSP.
    const v2 = await fetch(`${base}/v2/`, { headers: { origin: 'https://evil.example' } });
    expect(v2.headers.get('content-security-policy')).toBeNull();
    expect([200, 401]).toContain(v2.status);
  });

  it('reads through the API as the signed-in account, audited as a read by the catalog', async () => {
    const client = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    await pushSampleImage(client, 'web/audited', 'v1');
    const browser = catalogBrowser(base);
    await browser.signIn();
    expect((await browser.get('/ui/r/web/audited/-/v1/manifest')).status).toBe(200);
    // The audit log is written in small batches: the entry shows up a moment later.
    await expect
      .poll(async () => {
        const res = await fetch(`${base}/api/v1/audit?repository=web/audited&action=pull`, { headers: { authorization: ADMIN_AUTHORIZATION } });
        return ((await res.json()) as AuditPage).entries[0];
      }, { timeout: 5_000 })
      .toMatchObject({ actor: 'admin', outcome: 'success', detail: { via: 'web' } });
  });

  it('answers unknown pages with a catalog 404 page', async () => {
    const res = await catalogBrowser(base).get('/ui/no/such/page');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Not found');
  });
});
