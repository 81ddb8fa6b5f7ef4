/**
 * The web catalog in a real browser, on data made by the real commands (see fixtures.ts): the
 * flows people follow, every page visited screenshotted and checked with axe-core, every page
 * watched for script errors, CSP violations and dialogs (browser.ts). Hostile repository content
 * must show as text, and forms posted from another origin must be refused.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubAdmin } from '../../hub/client/admin.ts';
import { HubClient } from '../../hub/client/client.ts';
import { artifactUrl, repositoryUrl, ui } from '../../web/paths.ts';
import { acceptConfirmation, allowErrorStatus, gotoExpectingStatus, useBrowser, visited } from './browser.ts';
import { HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT, startCatalogFixtures, type Account, type CatalogFixtures } from './fixtures.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let fixtures: CatalogFixtures;
const browser = useBrowser();

beforeAll(async () => {
  fixtures = await startCatalogFixtures();
});

afterAll(async () => {
  await fixtures?.destroy();
});

/** Signs `account` in through the sign-in form, screenshotting the form on the way. */
async function signIn(page: Page, account: Account, shot: string): Promise<void> {
  await page.goto(ui('/signin'));
  await visited(page, `${shot}-signin`);
  await page.getByLabel('User name').fill(account.name);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/ui\/explore$/);
  await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(1);
}

/** A page for a new visitor; `account` signs in first. */
async function visitor(account: Account | undefined, shot: string): Promise<Page> {
  const page = await browser.openPage(fixtures.url);
  if (account) await signIn(page, account, shot);
  return page;
}

/** The text of the page's main region, whitespace collapsed. */
async function mainText(page: Page): Promise<string> {
  return ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ');
}

/** The names of the repositories the Explore page lists as cards. */
async function listedRepositories(page: Page): Promise<string[]> {
  return page.locator('ul.cards li h2 a').allTextContents();
}

describe('the catalog, as an administrator', () => {
  it('signs in, searches Explore and opens a repository with its tags and pull command', async () => {
    const page = await visitor(fixtures.admin, 'admin');
    await visited(page, 'explore');
    expect(await listedRepositories(page)).toEqual(expect.arrayContaining([fixtures.app.repository, fixtures.base.repository, fixtures.privateImage.repository]));

    await page.getByLabel('Name contains').fill('app');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/[?&]q=app/);
    expect(await listedRepositories(page)).toEqual([fixtures.app.repository]);
    await visited(page, 'explore-search');

    await page.getByRole('link', { name: fixtures.app.repository, exact: true }).click();
    await page.waitForURL(`**${repositoryUrl(fixtures.app.repository)}`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(fixtures.app.repository);
    const tags = page.locator('table#tags');
    await expect(tags.getByRole('link', { name: fixtures.app.tag, exact: true }).count()).resolves.toBe(1);
    await expect(tags.getByRole('link', { name: 'latest', exact: true }).count()).resolves.toBe(1);
    const pull = `docker pull ${fixtures.host}/${fixtures.app.repository}:latest`;
    expect(await mainText(page)).toContain(pull);
    // The catalog's script copies the command (allowed by the CSP through its nonce).
    const copy = page.getByRole('button', { name: 'Copy pull command' }).first();
    await copy.click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(pull);
    // It says "Copied" for a moment, its accessible name still saying what it copies, then "Copy" again.
    await expect(page.getByRole('button', { name: /^Copied pull command$|^Copy pull command$/ }).count()).resolves.toBeGreaterThan(0);
    await expect.poll(() => copy.locator('.copy-state').textContent(), { timeout: 5_000 }).toBe('Copy');
    // An administrator may delete tags: each row offers it.
    await expect(tags.getByRole('link', { name: /^Delete/ }).count()).resolves.toBe(2);
    await visited(page, 'repository');
  });

  it('reads the signed, scanned image: signature, vulnerabilities, CSV export, dependency graph to the base', async () => {
    const page = await visitor(fixtures.admin, 'artifact');
    const { app, base, finding, baseFinding, signer } = fixtures;
    await page.goto(artifactUrl(app.repository, app.tag));
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`${app.repository}:${app.tag}`);
    // The trust policy names the key "release": the chip says valid, and by whom, in words.
    const chip = page.locator('.chip.valid');
    await expect(chip.count()).resolves.toBe(1);
    expect(await chip.textContent()).toMatch(new RegExp(`valid signature by ${signer}`));
    await visited(page, 'artifact-overview');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Vulnerabilities' }).click();
    await page.waitForURL(`**${artifactUrl(app.repository, app.tag, 'vulnerabilities')}`);
    const row = page.locator('table tbody tr', { hasText: finding.id });
    await expect(row.count()).resolves.toBe(1);
    const cells = ((await row.textContent()) ?? '').replace(/\s+/g, ' ');
    for (const expected of [finding.severity, finding.package, finding.installed, finding.fixed]) expect(cells).toContain(expected);
    await expect(page.locator('table tbody tr', { hasText: baseFinding.id }).count()).resolves.toBe(1);
    await visited(page, 'artifact-vulnerabilities');

    // Filtered to one severity by the server (a GET form): only the lodash finding is left.
    await page.getByLabel('Severity').selectOption(finding.severity);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/severity=high/);
    await expect(page.locator('table tbody tr').count()).resolves.toBe(1);
    await visited(page, 'artifact-vulnerabilities-filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/vulnerabilities\.csv$/);
    const csv = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
    expect(csv[0]).toBe('id,aliases,severity,score,package,installed,fixed,layer,via,allowlisted');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toMatch(new RegExp(`^${finding.id},.*,${finding.severity},.*,${finding.package},${finding.installed.replaceAll('.', '\\.')},${finding.fixed.replaceAll('.', '\\.')},`));

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Dependencies' }).click();
    await page.waitForURL(`**${artifactUrl(app.repository, app.tag, 'dependencies')}`);
    const baseNode = page.locator('svg.graph').getByRole('link', { name: new RegExp(`^${base.repository}.*base`) });
    await expect(baseNode.count()).resolves.toBe(1);
    await visited(page, 'artifact-dependencies');
    await baseNode.click();
    await page.waitForURL((url) => url.pathname.startsWith(repositoryUrl(base.repository) + '/-/'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(new RegExp(`^${base.repository}[:@]`));
    // The header shows the base's digest (shortened, the full one in its title).
    await expect(page.locator(`.digest code[title="${base.digest}"]`).count()).resolves.toBeGreaterThan(0);
    await visited(page, 'base-artifact');
  });

  it('creates a robot whose secret is shown once and logs in to the registry, then revokes it', async () => {
    const page = await visitor(fixtures.admin, 'robots');
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.waitForURL(/\/ui\/admin$/);
    await visited(page, 'admin-health');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Robots' }).click();
    await page.waitForURL(/\/ui\/admin\/robots$/);
    await visited(page, 'admin-robots');

    await page.getByLabel('Name (the account is robot$NAME)').fill('ci');
    await page.getByLabel('Description').fill('pulls the application');
    await page.getByLabel('Repository, prefix/* or *').first().fill(`${fixtures.privateNamespace}/*`);
    await page.getByRole('button', { name: 'Create robot' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Robot robot$ci created');
    const secret = ((await page.locator('code.secret').textContent()) ?? '').trim();
    expect(secret.length).toBeGreaterThanOrEqual(20);
    await visited(page, 'admin-robot-created');

    // The robot logs in to the registry with it and pulls from the private namespace it was given.
    const robot = () => new HubClient({ url: fixtures.url, credentials: { username: 'robot$ci', password: secret } });
    await robot().checkLogin();
    const pulled = await robot().v2('GET', `/v2/${fixtures.privateImage.repository}/manifests/${fixtures.privateImage.tag}`, { headers: { Accept: MANIFEST } });
    await pulled.body?.cancel();
    expect(pulled.status).toBe(200);

    // Shown once: the list does not show it again.
    await page.goto(ui('/admin/robots'));
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('link', { name: 'Revoke robot$ci…' }).click();
    await page.waitForURL(/\/ui\/admin\/robots\/.+\/delete$/);
    await visited(page, 'admin-robot-revoke');
    await page.getByRole('button', { name: 'Revoke robot$ci' }).click();
    await page.waitForURL(/\/ui\/admin\/robots(\?|$)/);
    expect(await mainText(page)).not.toContain('pulls the application');
    await visited(page, 'admin-robot-revoked');

    // Revoked: its secret no longer logs in.
    await expect(robot().checkLogin()).rejects.toMatchObject({ status: 401 });
  });
});

describe('every page, as an administrator', () => {
  it('deletes a tag after its confirmation page', async () => {
    const page = await visitor(fixtures.admin, 'delete-tag');
    const { repository } = fixtures.base;
    const tag = fixtures.disposableTag;
    await page.goto(repositoryUrl(repository));
    await page.locator('table#tags').getByRole('link', { name: `Delete ${tag}`, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`Delete ${repository}:${tag}?`);
    await visited(page, 'delete-tag-confirm');
    await page.getByRole('button', { name: `Delete tag ${tag}` }).click();
    await page.waitForURL(/[?&]deleted=/);
    expect(await mainText(page)).toContain(`Tag ${tag} deleted.`);
    await expect(page.locator('table#tags').getByRole('link', { name: tag, exact: true }).count()).resolves.toBe(0);
    await visited(page, 'delete-tag-done');
    const res = await fixtures.cli.admin().v2('HEAD', `/v2/${repository}/manifests/${tag}`, { headers: { Accept: MANIFEST } });
    expect(res.status).toBe(404);
  });

  it('deletes a policy after its confirmation page and the script\'s confirmation', async () => {
    const page = await visitor(fixtures.admin, 'delete-policy');
    const { namespace, environment } = fixtures.disposablePolicy;
    await page.goto(ui(`/policies/${namespace}/delete`, { kind: 'trust', environment }));
    await visited(page, 'delete-policy-confirm');
    // catalog.js asks once more before a destructive form goes: the one dialog a test may accept.
    acceptConfirmation(page, new RegExp(`^Delete the ${environment} .* of ${namespace}\\?$`));
    await page.getByRole('button', { name: /^Delete the / }).click();
    await page.waitForURL(/[?&]done=trust-deleted/);
    await visited(page, 'delete-policy-done');
    await expect(new HubAdmin(fixtures.cli.admin()).getPolicy(namespace, environment)).rejects.toMatchObject({ status: 404 });
  });

  it('passes the checks on every tab of the signed image, the policies and the administration', async () => {
    const page = await visitor(fixtures.admin, 'every-page');
    const { app, publicNamespace } = fixtures;
    const visits: [string, string][] = [
      ...(['layers', 'referrers', 'sbom', 'manifest'] as const).map((tab): [string, string] => [`artifact-${tab}`, artifactUrl(app.repository, app.tag, tab)]),
      ['policies', ui('/policies')],
      ['policies-namespace', ui(`/policies/${publicNamespace}`)],
      ['admin-users', ui('/admin/users')],
      ['admin-namespaces', ui('/admin/namespaces')],
      ['admin-vulndb', ui('/admin/vulndb')],
      ['admin-audit', ui('/admin/audit')],
    ];
    for (const [name, path] of visits) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      await visited(page, name);
    }
  });

  it('passes the checks in the dark theme too (its colours are its own, contrast included)', async () => {
    const page = await visitor(fixtures.admin, 'dark');
    await page.emulateMedia({ colorScheme: 'dark' });
    const { app } = fixtures;
    const visits: [string, string][] = [
      ['dark-explore', ui('/explore')],
      ['dark-repository', repositoryUrl(app.repository)],
      ...(['overview', 'vulnerabilities', 'dependencies'] as const).map((tab): [string, string] => [`dark-artifact-${tab}`, artifactUrl(app.repository, app.tag, tab)]),
      ['dark-policies', ui('/policies')],
      ['dark-admin', ui('/admin')],
    ];
    for (const [name, path] of visits) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      // The dark palette is in force: the page background is not white.
      expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).not.toBe('rgb(255, 255, 255)');
      await visited(page, name);
    }
  });
});

describe('the catalog, as others', () => {
  it('a reader sees no administration link and is refused the administration pages', async () => {
    const page = await visitor(fixtures.reader, 'reader');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).count()).resolves.toBe(0);
    // A member of the private namespace sees its repository.
    expect(await listedRepositories(page)).toEqual(expect.arrayContaining([fixtures.privateImage.repository, fixtures.app.repository]));
    await visited(page, 'reader-explore');

    await page.goto(repositoryUrl(fixtures.app.repository));
    await expect(page.locator('table#tags').getByRole('link', { name: /^Delete/ }).count()).resolves.toBe(0);
    await visited(page, 'reader-repository');

    await gotoExpectingStatus(page, ui('/admin'), 403);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not allowed');
    await visited(page, 'reader-admin-refused');
    await gotoExpectingStatus(page, ui('/admin/robots'), 403);
  });

  it('an anonymous visitor sees only the public repositories', async () => {
    const page = await visitor(undefined, 'anonymous');
    await page.goto(ui('/explore'));
    const listed = await listedRepositories(page);
    expect(listed).toEqual(expect.arrayContaining([fixtures.app.repository, fixtures.base.repository, fixtures.hostile.repository]));
    expect(listed).not.toContain(fixtures.privateImage.repository);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).count()).resolves.toBe(1);
    await visited(page, 'anonymous-explore');

    await page.getByLabel('Name contains').fill('tool');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/[?&]q=tool/);
    expect(await listedRepositories(page)).toEqual([]);
    await visited(page, 'anonymous-explore-search');

    // Hidden looks like missing, with an offer to sign in.
    const status = (await fetch(`${fixtures.url}${repositoryUrl(fixtures.privateImage.repository)}`)).status;
    expect([401, 403, 404]).toContain(status);
    await gotoExpectingStatus(page, repositoryUrl(fixtures.privateImage.repository), status);
    expect(await mainText(page)).not.toContain(fixtures.privateImage.digest);
    await expect(page.getByRole('main').getByRole('link', { name: 'sign in' }).count()).resolves.toBe(1);
    await visited(page, 'anonymous-private-refused');
  });
});

describe('hostile content', () => {
  /** Pages of the hostile repository, and whether each shows the annotations, labels or description. */
  const pages = (name: string, tag: string): [string, string, boolean][] => [
    ['repository', repositoryUrl(name), true],
    ['overview', artifactUrl(name, tag), true],
    ['layers', artifactUrl(name, tag, 'layers'), false],
    ['referrers', artifactUrl(name, tag, 'referrers'), false],
    ['manifest', artifactUrl(name, tag, 'manifest'), true],
  ];

  for (const who of ['admin', 'anonymous'] as const) {
    it(`shows annotations, labels and the description as text to ${who === 'admin' ? 'an administrator' : 'an anonymous visitor'}`, async () => {
      const page = await visitor(who === 'admin' ? fixtures.admin : undefined, `hostile-${who}`);
      const { repository, tag } = fixtures.hostile;
      for (const [tab, path, showsMetadata] of pages(repository, tag)) {
        await page.goto(path);
        // The watch fails the test on any dialog; these say no markup made it into the page.
        expect(await page.locator('img[src="x"], [onerror]').count(), `${tab}: injected elements`).toBe(0);
        expect(await page.locator('script:not([src])').count(), `${tab}: inline scripts`).toBe(0);
        expect(await page.locator('a[href^="javascript:"]').count(), `${tab}: javascript: links`).toBe(0);
        const text = await page.locator('main').textContent();
        if (showsMetadata) expect(text, `${tab} shows the markup literally`).toMatch(/<script>alert\(1\)<\/script>|"><img src=x onerror=alert\(1\)>/);
        await visited(page, `hostile-${who}-${tab}`);
      }
      await page.goto(repositoryUrl(repository));
      expect(await mainText(page)).toContain(HOSTILE_SCRIPT);
      expect(await mainText(page)).toContain(HOSTILE_ATTRIBUTE);
    });
  }
});

describe('cross-site request forgery', () => {
  let attacker: Server;
  let attackerUrl: string;

  beforeAll(async () => {
    // Another origin on this machine (another port): a page that posts a form to the Hub as soon as it loads.
    attacker = createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://attacker').searchParams.get('target') ?? '';
      const action = `${fixtures.url}${target}`;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>` +
          `<form method="post" action="${action.replaceAll('"', '&quot;')}"><input type="hidden" name="_csrf" value="forged"></form>` +
          `<script>document.forms[0].submit()</script></body></html>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => attacker?.close(resolve));
  });

  /** Opens the attacker's page in the signed-in `page`, and returns the Hub's answer to its post. */
  async function forged(page: Page, target: string): Promise<number> {
    allowErrorStatus(page, target);
    const answer = page.waitForResponse((res) => res.request().method() === 'POST' && new URL(res.url()).pathname === target);
    await page.goto(`${attackerUrl}/?target=${encodeURIComponent(target)}`);
    const status = (await answer).status();
    await page.waitForURL(`${fixtures.url}${target}`);
    return status;
  }

  it('refuses a sign-out posted from another origin, and the session stays', async () => {
    const page = await visitor(fixtures.admin, 'csrf-signout');
    expect(await forged(page, ui('/signout'))).toBe(403);
    // The refusal explains itself (read from the body: a layout problem must not hide the message).
    expect(await page.locator('body').textContent()).toMatch(/another site/);
    await visited(page, 'csrf-signout-refused');
    await page.goto(ui('/explore'));
    await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(1);
  });

  it('refuses a tag deletion posted from another origin, and the tag stays', async () => {
    const page = await visitor(fixtures.admin, 'csrf-delete');
    const { repository } = fixtures.app;
    expect(await forged(page, `${artifactUrl(repository, 'latest')}/delete`)).toBe(403);
    expect(await page.locator('body').textContent()).toMatch(/another site/);
    await visited(page, 'csrf-delete-refused');
    const res = await fixtures.cli.admin().v2('HEAD', `/v2/${repository}/manifests/latest`, { headers: { Accept: MANIFEST } });
    expect(res.status).toBe(200);
    await page.goto(repositoryUrl(repository));
    await expect(page.locator('table#tags').getByRole('link', { name: 'latest', exact: true }).count()).resolves.toBe(1);
  });
});
