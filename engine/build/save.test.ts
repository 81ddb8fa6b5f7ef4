import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSampleImage, type SampleImage } from '../../cli/testing.ts';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { HubClient } from '../../hub/client/client.ts';
import { parseManifest } from '../../hub/oci/manifest.ts';
import { OciLayout } from '../image/layout.ts';
import { loadNockerfile } from '../nockerfile/index.ts';
import { buildImage, type BuiltImage } from './build.ts';
import { StepCache } from './plan.ts';
import { saveBuiltImage, type SavedBlobOutcome, type SaveOptions } from './save.ts';

let hub: TestHub;
let client: HubClient;
let dir: string;
let base: SampleImage;
const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Builds a small project on the base pushed to the test Hub. */
async function build(name: string): Promise<BuiltImage> {
  const root = join(dir, name);
  await mkdir(join(root, 'www'), { recursive: true });
  await writeFile(join(root, 'www/index.html'), `<h1>${name}</h1>\n`);
  await writeFile(join(root, 'Nockerfile.yml'), `version: "1.0"\nname: save/app\nbuild:\n  base: save/base:1\n  steps:\n    - copy: www /srv\n    - env: { MODE: test }\n`);
  return buildImage({ nockerfile: await loadNockerfile({ file: join(root, 'Nockerfile.yml') }), baseHub: client, cache: new StepCache(join(dir, 'cache')), sourceDateEpoch: 0 });
}

/** Saves `image` and records what happened to each blob. */
async function save(layout: OciLayout, image: BuiltImage, options: SaveOptions): Promise<Record<string, SavedBlobOutcome>> {
  const outcomes: Record<string, SavedBlobOutcome> = {};
  await saveBuiltImage(layout, 'hub.test/save/app:v1', image, { ...options, onBlob: (digest, outcome) => (outcomes[digest] = outcome) });
  return outcomes;
}

beforeAll(async () => {
  hub = await startTestHub();
  client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
  base = await pushSampleImage(client, 'save/base', '1');
  dir = await mkdtemp(join(tmpdir(), 'nocker-save-'));
});

afterAll(async () => {
  await hub?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('saveBuiltImage', () => {
  it('stores the image complete: its own layers, the base layers from the Hub, config, manifest and name', async () => {
    const image = await build('complete');
    const layout = await OciLayout.open(join(dir, 'complete-store'));
    const outcomes = await save(layout, image, { baseHub: client });
    const [ownLayer] = image.layers;
    expect(outcomes).toEqual({ [base.layer.digest]: 'downloaded', [ownLayer?.digest ?? '']: 'copied', [image.config.digest]: 'written' });

    expect(await layout.find('hub.test/save/app:v1')).toMatchObject({ digest: image.digest, size: image.manifest.size, mediaType: image.manifest.mediaType });
    const manifest = await layout.readBlob(image.digest);
    expect(sha256(manifest)).toBe(image.digest);
    for (const blob of parseManifest(manifest, undefined).blobs) expect(sha256(await layout.readBlob(blob.digest))).toBe(blob.digest);
    expect((await layout.readBlob(base.layer.digest)).toString()).toBe('content of save/base:1 for amd64');
  });

  it('copies and downloads nothing the layout holds already, and then needs no Hub', async () => {
    const image = await build('again');
    const layout = await OciLayout.open(join(dir, 'again-store'));
    await save(layout, image, { baseHub: client });
    const outcomes = await save(layout, image, {});
    expect(Object.values(outcomes)).toEqual(['present', 'present', 'present']);
    expect((await layout.find('hub.test/save/app:v1'))?.digest).toBe(image.digest);
  });

  it('refuses a base layer that does not match its descriptor and leaves nothing of it behind', async () => {
    const image = await build('mismatch');
    const wrong = { ...image.base!, layers: image.base!.layers.map((l) => ({ ...l, size: l.size + 1 })) };
    const layout = await OciLayout.open(join(dir, 'mismatch-store'));
    await expect(save(layout, { ...image, base: wrong }, { baseHub: client })).rejects.toThrow(`blob ${base.layer.digest} has`);
    expect(await layout.hasBlob(base.layer.digest)).toBe(false);
    expect(await layout.find('hub.test/save/app:v1')).toBeUndefined();
    expect(await readdir(join(layout.dir, '.ingest'))).toEqual([]);
  });

  it('copies base layers that run steps downloaded into the step cache instead of downloading them again', async () => {
    const image = await build('cached-base');
    const cache = new StepCache(join(dir, 'cache'));
    await writeFile(join(await cache.blobs(), base.layer.digest.slice(7)), 'content of save/base:1 for amd64');
    const layout = await OciLayout.open(join(dir, 'cached-base-store'));
    const outcomes = await save(layout, image, { cache });
    expect(outcomes[base.layer.digest]).toBe('copied');
    expect(sha256(await layout.readBlob(base.layer.digest))).toBe(base.layer.digest);
  });

  it('says a Hub is needed when base layers are missing and no client is given', async () => {
    const image = await build('no-hub');
    const layout = await OciLayout.open(join(dir, 'no-hub-store'));
    await expect(save(layout, image, {})).rejects.toThrow(`a Hub is needed to download the layers of the base image ${image.base?.name}`);
  });
});
