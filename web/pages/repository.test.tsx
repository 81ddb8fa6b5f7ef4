import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from '../../conformance/harness.ts';
import { TEST_ADMIN } from '../../conformance/helpers.ts';
import { pushPlatformIndex, pushSampleImage, sha256, type SampleImage } from '../../cli/testing.ts';
import { HubAdmin } from '../../hub/client/admin.ts';
import { HubClient } from '../../hub/client/client.ts';
import { pushBlob, putManifest } from '../../hub/client/push.ts';
import { pushTestImage, testLayer } from '../../hub/deps/testing.ts';
import { catalogBrowser, type CatalogBrowser } from '../testing.ts';

let base = '';
let host = '';
let admin: HubClient;
let v1: SampleImage;
const READER = { name: 'rita', password: 'rita-password-1' };
const HOSTILE = '<script>alert(1)</script>';

/** The rows of the tags table, as the text of their first cell (the tag). */
function tagColumn(html: string): string[] {
  const body = /<table id="tags"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr><td><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]!);
}

async function page(browser: CatalogBrowser, path: string, status = 200): Promise<string> {
  const res = await browser.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 2000)).toBe(status);
  return html;
}

/** A README pushed as `oras push … README.md:text/markdown` would push it. */
async function pushReadme(client: HubClient, repository: string, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  const layer = { mediaType: 'text/markdown', digest: sha256(bytes), size: bytes.length, bytes };
  const empty = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2, bytes: Buffer.from('{}') };
  await pushBlob(client, repository, layer);
  await pushBlob(client, repository, empty);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'text/markdown',
      config: { mediaType: empty.mediaType, digest: empty.digest, size: 2 },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, annotations: { 'org.opencontainers.image.title': 'README.md' } }],
    }),
  );
  await putManifest(client, repository, 'readme', { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), bytes: manifest });
}

describe('the repository page', () => {
  useTestHub((hub) => {
    base = hub.url;
    host = new URL(hub.url).host;
  });

  beforeAll(async () => {
    admin = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const hubAdmin = new HubAdmin(admin);
    await hubAdmin.createNamespace({ name: 'pub', visibility: 'public' });
    await hubAdmin.createNamespace({ name: 'priv', visibility: 'private' });
    await hubAdmin.createUser(READER);
    await hubAdmin.setMember('pub', READER.name, 'reader');

    v1 = await pushSampleImage(admin, 'pub/app', 'v1');
    const arm = await pushSampleImage(admin, 'pub/app', 'v2-arm', 'arm64');
    await pushPlatformIndex(admin, 'pub/app', 'multi', [
      { ...v1, architecture: 'amd64' },
      { ...arm, architecture: 'arm64' },
    ]);
    await pushSampleImage(admin, 'priv/secret', 'v1');
    for (let k = 0; k < 60; k++) await pushSampleImage(admin, 'pub/many', `t${String(k).padStart(2, '0')}`);
    await pushTestImage(admin, 'pub/hostile', 'v1', [testLayer('hostile')], {
      'org.opencontainers.image.description': `${HOSTILE}\n\n**not bold** [x](javascript:alert(1))`,
    });
    await pushReadme(admin, 'pub/docs', `# Docs\n\nUse **this** image. <img src=x onerror=alert(1)>\n\n- [site](https://example.com)\n- [bad](javascript:alert(1))\n\n\`\`\`\n${HOSTILE}\n\`\`\``);
  }, 120_000);

  it('shows the name, the pull command of the latest tag and every column of the tags table', async () => {
    const browser = catalogBrowser(base);
    await browser.signIn();
    const html = await page(browser, '/ui/r/pub/app');
    expect(html).toContain('<h1>pub/app</h1>');
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html).toContain(`docker pull ${host}/pub/app:multi`);
    for (const column of ['Digest', 'Type', 'Platforms', 'Signed', 'Vulnerabilities', 'SBOM', 'Actions']) expect(html).toContain(`<th scope="col">${column}</th>`);
    expect(html).toMatch(/<th scope="col"[^>]*aria-sort="descending"[^>]*><a href="[^"]*">Pushed/);
    expect(tagColumn(html).sort()).toEqual(['multi', 'v1', 'v2-arm']);

    // The index row: its type and both platforms; the image rows: their own platform.
    const multiRow = /<tr><td><a href="\/ui\/r\/pub\/app\/-\/multi">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(multiRow).toContain('<td>index</td>');
    expect(multiRow).toMatch(/linux\/amd64, linux\/arm64|linux\/arm64, linux\/amd64/);
    const v1Row = /<tr><td><a href="\/ui\/r\/pub\/app\/-\/v1">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(v1Row).toContain('<td>image</td>');
    expect(v1Row).toContain('linux/amd64');
    expect(v1Row).toContain(`data-copy="${v1.digest}"`);
    expect(v1Row).toContain('✗ unsigned');
    expect(v1Row).toContain('href="/ui/r/pub/app/-/v1/delete"');
    expect(html).toContain('data-filter-table="tags"');
  });

  it('shows a public repository to anyone, without delete links, and hides a private one', async () => {
    const anonymous = catalogBrowser(base);
    const html = await page(anonymous, '/ui/r/pub/app');
    expect(tagColumn(html)).toHaveLength(3);
    expect(html).not.toContain('/delete"');
    expect(html).not.toContain('<th scope="col">Actions</th>');
    const hidden = await anonymous.get('/ui/r/priv/secret');
    expect([401, 403, 404]).toContain(hidden.status);
    const text = await hidden.text();
    expect(text).toContain('sign in');
    expect(text).not.toContain('docker pull');
  });

  it('pages, sorts and filters 60 tags through the Hub, 25 rows a page', async () => {
    const browser = catalogBrowser(base);
    const first = await page(browser, '/ui/r/pub/many?sort=name');
    expect(tagColumn(first)).toEqual(Array.from({ length: 25 }, (_, k) => `t${String(k).padStart(2, '0')}`));
    expect(first).toContain('Page 1 of 3');
    expect(first).toContain('href="/ui/r/pub/many?sort=name&amp;page=2"');

    const last = await page(browser, '/ui/r/pub/many?sort=name&page=3');
    expect(tagColumn(last)).toEqual(Array.from({ length: 10 }, (_, k) => `t${50 + k}`));
    expect(last).toContain('Page 3 of 3');

    const descending = await page(browser, '/ui/r/pub/many?sort=name&order=desc');
    expect(tagColumn(descending)[0]).toBe('t59');

    const newest = await page(browser, '/ui/r/pub/many');
    expect(tagColumn(newest)[0]).toBe('t59'); // pushed last

    const filtered = await page(browser, '/ui/r/pub/many?q=t1&sort=name');
    expect(tagColumn(filtered)).toEqual(['t10', 't11', 't12', 't13', 't14', 't15', 't16', 't17', 't18', 't19']);
    expect(filtered).toContain('value="t1"');

    const none = await page(browser, `/ui/r/pub/many?q=${encodeURIComponent(HOSTILE)}`);
    expect(none).toContain('No tag contains');
    expect(none).not.toContain(HOSTILE);
    expect(none).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    const nonsense = await page(browser, '/ui/r/pub/many?page=-4&sort=evil&order=sideways');
    expect(tagColumn(nonsense)).toHaveLength(25);
  });

  it('renders an annotation description as escaped plain text', async () => {
    const html = await page(catalogBrowser(base), '/ui/r/pub/hostile');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html).toContain('<p>**not bold** [x](javascript:alert(1))</p>');
    expect(html).not.toMatch(/href="javascript/i);
  });

  it('renders a README artifact\'s Markdown safely', async () => {
    const html = await page(catalogBrowser(base), '/ui/r/pub/docs');
    expect(html).toContain('<h3>Docs</h3>');
    expect(html).toContain('<strong>this</strong>');
    expect(html).toContain('<a href="https://example.com" rel="nofollow noopener">site</a>');
    expect(html).not.toMatch(/href="javascript/i);
    expect(html).not.toContain('<img');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('deletes a tag after a confirmation, as an administrator', async () => {
    await pushSampleImage(admin, 'pub/gone', 'keep');
    const doomed = await pushSampleImage(admin, 'pub/gone', 'v1');
    const browser = catalogBrowser(base);
    await browser.signIn();

    const confirm = await page(browser, '/ui/r/pub/gone/-/v1/delete');
    expect(confirm).toContain('<h1>Delete pub/gone:v1?</h1>');
    expect(confirm).toContain(`data-copy="${doomed.digest}"`);
    expect(confirm).toContain('The manifest itself stays while other tags point at it');
    expect(confirm).toMatch(/<form method="post" action="\/ui\/r\/pub\/gone\/-\/v1\/delete"/);
    expect(confirm).toContain('<a href="/ui/r/pub/gone">Cancel</a>');

    const res = await browser.post('/ui/r/pub/gone/-/v1/delete', {});
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/r/pub/gone?deleted=v1');
    const after = await page(browser, '/ui/r/pub/gone?deleted=v1');
    expect(after).toContain('Tag v1 deleted.');
    expect(tagColumn(after)).toEqual(['keep']);
    const manifest = await admin.v2('GET', '/v2/pub/gone/manifests/v1');
    await manifest.body?.cancel();
    expect(manifest.status).toBe(404);

    // Without the CSRF token the form is refused.
    const forged = await browser.post('/ui/r/pub/gone/-/keep/delete', {}, { csrf: null });
    expect(forged.status).toBe(403);
    const digests = await page(browser, '/ui/r/pub/gone/-/sha256:abc/delete', 400);
    expect(digests).toContain('only tags can be deleted here');
  });

  it('refuses deletion to a reader with the Hub\'s DENIED, and leaves the tag', async () => {
    const reader = catalogBrowser(base);
    expect((await reader.signIn(READER.name, READER.password)).status).toBe(303);
    const list = await page(reader, '/ui/r/pub/app');
    expect(list).not.toContain('/delete"');

    const confirm = await page(reader, '/ui/r/pub/app/-/v1/delete', 403);
    expect(confirm).toContain('Not allowed');

    const res = await reader.post('/ui/r/pub/app/-/v1/delete', {});
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Not allowed');
    const still = await admin.v2('GET', '/v2/pub/app/manifests/v1');
    await still.body?.cancel();
    expect(still.status).toBe(200);
  });
});
