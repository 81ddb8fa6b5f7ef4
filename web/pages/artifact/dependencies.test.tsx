import { beforeAll, describe, expect, it } from 'vitest';
import { useTestHub } from '../../../conformance/harness.ts';
import { TEST_ADMIN } from '../../../conformance/helpers.ts';
import { HubClient } from '../../../hub/client/client.ts';
import { pushTestImage, testLayer, type TestImage } from '../../../hub/deps/testing.ts';
import { pushPlatformIndex } from '../../../cli/testing.ts';
import { catalogBrowser, type CatalogBrowser } from '../../testing.ts';

// library/base:1 (two layers); team/app:v1 built on it by its layers (recompressed); team/svc:v1
// naming it in its annotations (next to a hostile annotation); team/web:v1 built on team/app:v1.
const os = testLayer('os');
const runtime = testLayer('runtime');
const [osGz, runtimeGz] = [testLayer('os', { gzip: true }), testLayer('runtime', { gzip: true })];
const HOSTILE = '<script>alert(1)</script>';

describe('the Dependencies tab', () => {
  let base = '';
  useTestHub((hub) => (base = hub.url));
  let browser: CatalogBrowser;
  const images = {} as Record<'base' | 'app' | 'svc' | 'web', TestImage>;

  beforeAll(async () => {
    const admin = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const host = new URL(base).host;
    images.base = await pushTestImage(admin, 'library/base', '1', [os, runtime]);
    images.app = await pushTestImage(admin, 'team/app', 'v1', [osGz, runtimeGz, testLayer('app')]);
    images.svc = await pushTestImage(admin, 'team/svc', 'v1', [os, runtime, testLayer('svc')], {
      'org.opencontainers.image.base.name': `${host}/library/base:1`,
      'org.opencontainers.image.base.digest': images.base.digest,
      'org.opencontainers.image.title': HOSTILE,
      'dev.nocker.dependencies': JSON.stringify([HOSTILE]),
    });
    images.web = await pushTestImage(admin, 'team/web', 'v1', [osGz, runtimeGz, testLayer('app'), testLayer('web')]);
    await pushPlatformIndex(admin, 'team/app', 'multi', [{ ...images.app, architecture: 'amd64' }]);
    browser = catalogBrowser(base);
    expect((await browser.signIn()).status).toBe(303);
  });

  const page = async (path: string) => {
    const res = await browser.get(path);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    // The tab's own content: the graph, the lists, the plan.
    return html;
  };

  it('draws the image, its bases and what is built on it, and lists the same facts', async () => {
    const html = await page('/ui/r/team/app/-/v1/dependencies');
    const svg = /<svg class="graph"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toContain('role="group"');
    expect(svg).toContain('<title>team/app:v1, this image</title>');
    expect(svg).toContain('href="/ui/r/library/base/-/1"');
    expect(svg).toContain('href="/ui/r/team/web/-/v1"');
    expect(svg.match(/<a href=/g)).toHaveLength(3);
    expect(svg.match(/marker-end=/g)).toHaveLength(2);

    // The base chain as a table, with its evidence.
    expect(html).toContain('<h2>What it is built on</h2>');
    expect(html).toMatch(/<a href="\/ui\/r\/library\/base\/-\/1">library\/base:1<\/a><\/td><td>team\/app:v1<\/td>/);
    expect(html).toContain('shares its 2 bottom layers');
    // What is built on it, as a tree.
    expect(html).toMatch(/<ul class="tree"><li><a href="\/ui\/r\/team\/web\/-\/v1">team\/web:v1<\/a>/);
    expect(html).toContain('Nothing to rebuild');
    expect(html).not.toMatch(/style=|<script>(?!<\/script>)|\son[a-z]+=/);
  });

  it('shows the dependents of a base as a tree, by annotation and by layers, hostile annotations left as they are', async () => {
    const html = await page('/ui/r/library/base/-/1/dependencies');
    expect(html).toContain('No base found');
    expect(html).toContain('3 images are built on library/base:1');
    // team/web hangs under team/app.
    expect(html).toMatch(/<a href="\/ui\/r\/team\/app\/-\/v1">team\/app:v1<\/a>[^]*?<ul class="tree"><li><a href="\/ui\/r\/team\/web\/-\/v1">/);
    expect(html).toContain('names its base in annotations');
    expect(html).toContain('shares its base’s layers');
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<script>alert');
  });

  it('follows an index to the image it shows, and works by digest', async () => {
    const index = await page('/ui/r/team/app/-/multi/dependencies');
    expect(index).toContain('Dependencies of the linux/amd64 image of this index');
    expect(index).toContain('href="/ui/r/library/base/-/1"');
    const byDigest = await page(`/ui/r/team/app/-/${images.app.digest}/dependencies`);
    expect(byDigest).toContain('href="/ui/r/team/web/-/v1"');
    expect(byDigest).toContain('<title>team/app:v1, this image</title>');
  });

  it('lists what to rebuild once the base tag moves, each image linked, with the rebuild command', async () => {
    const admin = new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    await pushTestImage(admin, 'library/base', '1', [os, testLayer('runtime 2')]);
    const html = await page('/ui/r/library/base/-/1/dependencies');
    const plan = html.slice(html.indexOf('<h2>Rebuild plan</h2>'));
    expect(plan).toContain('<th scope="col">Why</th>');
    expect(plan).toContain('<a href="/ui/r/team/svc/-/v1">team/svc:v1</a>');
    expect(plan).toContain(`base tag moved: built on library/base:1 at ${images.base.digest.slice(0, 19)}`);
    // Two levels down: rebuilt after the image it is built on.
    expect(plan).toContain('<a href="/ui/r/team/web/-/v1">team/web:v1</a>');
    expect(plan).toContain(`built on team/app@${images.app.digest.slice(0, 19)}, which is to be rebuilt`);
    expect(plan).toContain('nocker build --update');
    expect(plan).not.toContain('Nothing to rebuild');
  });
});
