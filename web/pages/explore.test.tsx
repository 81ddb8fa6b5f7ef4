import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from '../../conformance/harness.ts';
import { TEST_ADMIN } from '../../conformance/helpers.ts';
import { pushSampleImage } from '../../cli/testing.ts';
import { HubAdmin } from '../../hub/client/admin.ts';
import { HubClient } from '../../hub/client/client.ts';
import { pushTestImage, testLayer } from '../../hub/deps/testing.ts';
import { catalogBrowser, type CatalogBrowser } from '../testing.ts';

let base = '';
const HOSTILE = '<script>alert(1)</script>';
const BULK = 30;

/** The repository names on the cards of a page, in order. */
function cardNames(html: string): string[] {
  return [...html.matchAll(/<li class="card"><h2><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]!);
}

async function page(browser: CatalogBrowser, path: string): Promise<string> {
  const res = await browser.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 2000)).toBe(200);
  return html;
}

describe('the Explore page', () => {
  useTestHub((hub) => (base = hub.url));

  beforeAll(async () => {
    const admin = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const hubAdmin = new HubAdmin(admin);
    await hubAdmin.createNamespace({ name: 'pub', visibility: 'public' });
    await hubAdmin.createNamespace({ name: 'bulk', visibility: 'public' });
    await hubAdmin.createNamespace({ name: 'priv', visibility: 'private' });
    for (let k = 0; k < BULK; k++) await pushSampleImage(admin, `bulk/r${String(k).padStart(2, '0')}`, 'v1');
    await pushSampleImage(admin, 'priv/secret', 'v1');
    await pushSampleImage(admin, 'pub/beta', 'v1');
    await pushSampleImage(admin, 'pub/beta', 'v2');
    await pushTestImage(admin, 'pub/alpha', 'latest', [testLayer('alpha')], { 'org.opencontainers.image.description': HOSTILE });
  }, 120_000);

  it('shows anonymous visitors the public repositories only, with a free-text namespace field', async () => {
    const anonymous = catalogBrowser(base);
    const html = await page(anonymous, '/ui/explore?q=p&sort=name');
    expect(html).toContain('<h1>Explore repositories</h1>');
    expect(cardNames(html)).toEqual(['pub/alpha', 'pub/beta']);
    expect(html).not.toContain('priv/secret');
    expect(html).toMatch(/<label for="explore-namespace">Namespace<\/label><input id="explore-namespace" name="namespace"/);
    for (const id of ['explore-q', 'explore-namespace', 'explore-sort']) expect(html).toContain(`<label for="${id}">`);
  });

  it('shows a signed-in administrator private repositories too, and the namespaces to choose from', async () => {
    const browser = catalogBrowser(base);
    await browser.signIn();
    const html = await page(browser, '/ui/explore?q=s&sort=name');
    expect(cardNames(html)).toContain('priv/secret');
    expect(html).toContain('<select id="explore-namespace" name="namespace">');
    expect(html).toContain('<option value="priv">priv (private)</option>');

    const onlyPrivate = await page(browser, '/ui/explore?namespace=priv');
    expect(cardNames(onlyPrivate)).toEqual(['priv/secret']);
    expect(onlyPrivate).toContain('<option value="priv" selected="">priv (private)</option>');
  });

  it('describes each repository on its card: tags, last push, size, signature and vulnerabilities', async () => {
    const html = await page(catalogBrowser(base), '/ui/explore?q=pub/beta');
    const card = /<li class="card">[\s\S]*?<\/li>/.exec(html)?.[0] ?? '';
    expect(card).toContain('<a href="/ui/r/pub/beta">pub/beta</a>');
    expect(card).toContain('<dt>Tags</dt><dd>2</dd>');
    expect(card).toMatch(/<dt>Last push<\/dt><dd><time datetime="[^"]+"/);
    expect(card).toMatch(/<dt>Size<\/dt><dd>\d+(\.\d)? (B|KiB)<\/dd>/);
    expect(card).toContain('<code>v2</code>');
    expect(card).toContain('✗ unsigned');
    expect(card).toMatch(/<dt>Vulnerabilities<\/dt><dd>(<span class="muted">(not scanned|scan pending)<\/span>|<span class="badge ok">none found<\/span>|<span class="badge warn">scan failed<\/span>|<span class="badges">)/);
  });

  it('searches, sorts by name and size, and pages 24 cards at a time', async () => {
    const browser = catalogBrowser(base);
    const first = await page(browser, '/ui/explore?sort=name');
    const total = BULK + 2; // the public ones
    expect(first).toContain(`${total} repositories`);
    expect(cardNames(first)).toHaveLength(24);
    expect(cardNames(first).slice(0, 3)).toEqual(['bulk/r00', 'bulk/r01', 'bulk/r02']);
    expect(first).toContain('Page 1 of 2');
    expect(first).toContain('href="/ui/explore?sort=name&amp;page=2"');

    const second = await page(browser, '/ui/explore?sort=name&page=2');
    expect(cardNames(second)).toEqual(['bulk/r24', 'bulk/r25', 'bulk/r26', 'bulk/r27', 'bulk/r28', 'bulk/r29', 'pub/alpha', 'pub/beta']);
    expect(second).toContain('Page 2 of 2');
    expect(second).toContain('rel="prev"');

    const newest = await page(browser, '/ui/explore');
    expect(cardNames(newest)[0]).toBe('pub/alpha'); // pushed last

    const search = await page(browser, '/ui/explore?q=R2&sort=name');
    expect(cardNames(search)).toEqual(Array.from({ length: 10 }, (_, k) => `bulk/r2${k}`));

    const bySize = await page(browser, '/ui/explore?sort=size&namespace=pub');
    expect(cardNames(bySize)).toHaveLength(2);
    expect(bySize).toContain('<option value="size" selected="">Size</option>');
  });

  it('says what to do when nothing matches, and escapes what was searched for', async () => {
    const anonymous = catalogBrowser(base);
    const html = await page(anonymous, `/ui/explore?q=${encodeURIComponent(HOSTILE)}&namespace=${encodeURIComponent('"><b>x</b>')}`);
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('No repository matches “&lt;script&gt;alert(1)&lt;/script&gt;”');
    expect(html).toContain(`value="&lt;script&gt;alert(1)&lt;/script&gt;"`);
    expect(html).toContain('sign in</a> to see them');
    expect(html).toContain('Show all repositories');
    expect(cardNames(html)).toEqual([]);
  });

  it('tells a signed-in viewer of an empty Hub how to push, without asking to sign in', async () => {
    const browser = catalogBrowser(base);
    await browser.signIn();
    const html = await page(browser, '/ui/explore?namespace=nothing-here');
    expect(html).toContain('No repository matches');
    expect(html).not.toContain('to see them');
  });

  it('survives nonsense parameters', async () => {
    const html = await page(catalogBrowser(base), '/ui/explore?page=abc&sort=evil');
    expect(cardNames(html)).toHaveLength(24);
    const beyond = await page(catalogBrowser(base), '/ui/explore?page=99');
    expect(beyond).toContain('No repositories on this page');
    expect(beyond).toContain('Page 99 of 2');
  });
});
