import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLayer } from './layer.ts';
import { cacheDirectory, rootKey, StepCache, stepKey } from './plan.ts';
import { scratchName } from './scratch.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('step keys', () => {
  const root = rootKey({ base: 'scratch', platform: 'linux/amd64', sourceDateEpoch: 0 });
  const copy = { kind: 'copy' as const, src: '.', dest: '/app' };
  const file = { path: 'app/a', type: 'file' as const, mode: 0o644, digest: 'sha256:aa' };

  it('chain from the previous key and cover the definition and the copied files', () => {
    expect(stepKey(root, copy, [file])).toBe(stepKey(root, copy, [file]));
    expect(stepKey(root, copy, [file])).not.toBe(stepKey(root, copy, [{ ...file, digest: 'sha256:bb' }]));
    expect(stepKey(root, copy, [file])).not.toBe(stepKey(root, copy, [{ ...file, mode: 0o755 }]));
    expect(stepKey(root, copy, [file])).not.toBe(stepKey(root, { ...copy, dest: '/srv' }, [file]));
    const other = rootKey({ base: 'scratch', platform: 'linux/amd64', sourceDateEpoch: 1 });
    expect(stepKey(root, copy, [file])).not.toBe(stepKey(other, copy, [file]));
  });

  it('live in $NOCKER_CACHE_DIR or ~/.cache/nocker', () => {
    expect(cacheDirectory({ NOCKER_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(cacheDirectory({})).toMatch(/\.cache[/\\]nocker$/);
  });
});

describe('the step cache', () => {
  it('misses, then returns the layer it was given, moved into the cache', async () => {
    const cache = new StepCache(join(dir, 'cache'));
    expect(await cache.get('k1')).toBeUndefined();
    await writeFile(join(dir, 'f'), 'x');
    const layer = await writeLayer([{ type: 'file', path: 'f', mode: 0o644, size: 1, open: async function* () { yield Buffer.from('x'); } }], { directory: await cache.scratch() });
    const put = await cache.put('k1', layer);
    expect(existsSync(put.layer.path)).toBe(true);
    expect(existsSync(layer.path)).toBe(false);
    const hit = await cache.get('k1');
    expect(hit?.layer).toEqual(put.layer);
    await rm(put.layer.path);
    expect(await cache.get('k1')).toBeUndefined();
  });
});

describe('StepCache.sweep', () => {
  it('removes what ended builds left in scratch, and nothing of running ones or foreign names', async () => {
    const cache = new StepCache(join(dir, 'sweep'));
    const scratch = await cache.scratch();
    // A process that has ended: its id names nothing running any more.
    const ended = spawnSync('true').pid as number;
    const stale = `bundle-${ended}-1700000000000-0a1b2c3d`;
    await mkdir(join(scratch, stale, 'rootfs'), { recursive: true });
    await writeFile(join(scratch, `log-${ended}-1700000000000-0a1b2c3d.log`), 'old');
    const mine = scratchName('layer');
    await writeFile(join(scratch, mine), 'in use');
    await writeFile(join(scratch, 'notes.txt'), 'not a scratch name');
    expect((await cache.sweep()).sort()).toEqual([stale, `log-${ended}-1700000000000-0a1b2c3d.log`]);
    expect((await readdir(scratch)).sort()).toEqual([mine, 'notes.txt'].sort());
  });

  it('keeps a blob only when its size matches the descriptor', async () => {
    const cache = new StepCache(join(dir, 'blobs'));
    const digest = `sha256:${'a'.repeat(64)}`;
    await writeFile(await cache.blobPath(digest), 'four');
    expect(await cache.blob({ digest, size: 4 })).toBe(join(dir, 'blobs', 'blobs', 'sha256', 'a'.repeat(64)));
    expect(await cache.blob({ digest, size: 5 })).toBeUndefined();
  });
});
