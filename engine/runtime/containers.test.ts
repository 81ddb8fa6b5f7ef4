import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore, humanDuration, NoSuchContainerError, observedState, statusText, type NewContainer } from './containers.ts';
import type { ContainerRecord } from './types.ts';

let dir: string;
let store: ContainerStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-containers-'));
  store = new ContainerStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const FIELDS: NewContainer = {
  image: 'hub.example/app:1',
  imageDigest: `sha256:${'a'.repeat(64)}`,
  configDigest: `sha256:${'b'.repeat(64)}`,
  command: ['/bin/sh'],
  environment: 'development',
  restart: { kind: 'no' },
  autoRemove: false,
  ports: [],
  user: '0:0',
  runtime: '/usr/sbin/runc',
};

/** A record written by hand, for ids chosen by the test. */
async function writeRecord(id: string, patch: Partial<ContainerRecord> = {}): Promise<ContainerRecord> {
  const record: ContainerRecord = { ...FIELDS, id, name: `n${id.slice(0, 6)}`, created: '2026-01-01T00:00:00.000Z', state: 'created', restartCount: 0, ...patch };
  await mkdir(store.dir(id), { recursive: true });
  await writeFile(join(store.dir(id), 'container.json'), JSON.stringify(record));
  return record;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync('true').pid as number;
}

describe('ContainerStore', () => {
  it('creates a record in its own directory, with a 64-hex id and a generated name', async () => {
    const record = await store.create(FIELDS);
    expect(record.id).toMatch(/^[0-9a-f]{64}$/);
    expect(record.name).toMatch(/^[a-z]+_[a-z]+$/);
    expect(record).toMatchObject({ state: 'created', restartCount: 0, image: FIELDS.image });
    expect(store.dir(record.id)).toBe(join(dir, 'containers', record.id));
    expect(store.bundleDir(record.id)).toBe(join(dir, 'containers', record.id, 'bundle'));
    expect(JSON.parse(await readFile(join(store.dir(record.id), 'container.json'), 'utf8'))).toEqual(record);
  });

  it('keeps names unique and checks their form', async () => {
    const web = await store.create({ ...FIELDS, name: 'web' });
    await expect(store.create({ ...FIELDS, name: 'web' })).rejects.toThrow(`the name "web" is already in use by container ${web.id.slice(0, 12)}`);
    await expect(store.create({ ...FIELDS, name: '-bad' })).rejects.toThrow('invalid container name "-bad"');
    await expect(store.create({ ...FIELDS, name: 'a b' })).rejects.toThrow('invalid container name');
    expect((await store.create({ ...FIELDS, name: 'A.b_c-1' })).name).toBe('A.b_c-1');
  });

  it('gives every one of many concurrent creations its own name', async () => {
    const records = await Promise.all(Array.from({ length: 30 }, () => store.create(FIELDS)));
    expect(new Set(records.map((r) => r.name)).size).toBe(30);
    expect(existsSync(join(dir, 'containers', '.names.lock'))).toBe(false);
  });

  it('finds by full id, name and unique prefix, and says when it cannot', async () => {
    const one = await writeRecord(`abc1${'0'.repeat(60)}`, { name: 'one' });
    const two = await writeRecord(`abc2${'0'.repeat(60)}`, { name: 'two' });
    expect((await store.find(one.id)).name).toBe('one');
    expect((await store.find('two')).id).toBe(two.id);
    expect((await store.find('abc1')).id).toBe(one.id);
    await expect(store.find('abc')).rejects.toThrow('abc matches several containers');
    await expect(store.find('fff')).rejects.toThrow(new NoSuchContainerError('fff').message);
    await expect(store.find('nope')).rejects.toThrow('no such container: nope');
  });

  it('takes a name over an id prefix that spells the same', async () => {
    await writeRecord(`abc1${'0'.repeat(60)}`, { name: 'x' });
    const named = await writeRecord(`def1${'0'.repeat(60)}`, { name: 'abc1' });
    expect((await store.find('abc1')).id).toBe(named.id);
  });

  it('lists newest first', async () => {
    await writeRecord(`1${'0'.repeat(63)}`, { created: '2026-01-01T00:00:01.000Z' });
    await writeRecord(`2${'0'.repeat(63)}`, { created: '2026-01-01T00:00:03.000Z' });
    await writeRecord(`3${'0'.repeat(63)}`, { created: '2026-01-01T00:00:02.000Z' });
    expect((await store.list()).map((r) => r.id[0])).toEqual(['2', '3', '1']);
  });

  it('merges updates (undefined removes a field) and refuses a container that is gone', async () => {
    const record = await store.create(FIELDS);
    await store.update(record.id, { state: 'running', pid: 42 });
    const updated = await store.update(record.id, { pid: undefined, exitCode: 3 });
    expect(updated).toMatchObject({ state: 'running', exitCode: 3 });
    expect('pid' in (await store.find(record.id))).toBe(false);
    await store.remove(record.id);
    expect(existsSync(store.dir(record.id))).toBe(false);
    await store.remove(record.id);
    await expect(store.update(record.id, { state: 'exited' })).rejects.toThrow(NoSuchContainerError);
  });

  it('applies concurrent updates one after the other', async () => {
    const record = await store.create(FIELDS);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update(record.id, { restartCount: i })));
    expect((await store.find(record.id)).restartCount).toBe(19);
  });
});

describe('observedState', () => {
  const base = { ...FIELDS, id: 'f'.repeat(64), name: 'x', created: '2026-01-01T00:00:00Z', restartCount: 1 } as const;

  it('trusts a record whose supervisor lives', () => {
    expect(observedState({ ...base, state: 'running', supervisorPid: process.pid })).toBe('running');
    expect(observedState({ ...base, state: 'restarting', supervisorPid: process.pid })).toBe('restarting');
  });

  it('says exited when the supervisor of a running container is gone', () => {
    const pid = deadPid();
    expect(observedState({ ...base, state: 'running', supervisorPid: pid })).toBe('exited');
    expect(observedState({ ...base, state: 'restarting', supervisorPid: pid })).toBe('exited');
    expect(observedState({ ...base, state: 'created', supervisorPid: pid })).toBe('created');
  });
});

describe('statusText', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  const base = { ...FIELDS, id: 'f'.repeat(64), name: 'x', created: ago(86_400_000), restartCount: 1, supervisorPid: process.pid } as const;

  it("uses Docker's words for each state", () => {
    expect(statusText({ ...base, state: 'created' }, now)).toBe('Created');
    expect(statusText({ ...base, state: 'running', startedAt: ago(3 * 60_000) }, now)).toBe('Up 3 minutes');
    expect(statusText({ ...base, state: 'running', startedAt: ago(400) }, now)).toBe('Up Less than a second');
    expect(statusText({ ...base, state: 'exited', exitCode: 0, finishedAt: ago(3 * 60_000 + 5000) }, now)).toBe('Exited (0) 3 minutes ago');
    expect(statusText({ ...base, state: 'exited', exitCode: 137, finishedAt: ago(2 * 3_600_000) }, now)).toBe('Exited (137) 2 hours ago');
    expect(statusText({ ...base, state: 'restarting', exitCode: 1, finishedAt: ago(2000) }, now)).toBe('Restarting (1) 2 seconds ago');
  });

  it('says only Exited when the supervisor died without saying how the container ended', () => {
    expect(statusText({ ...base, state: 'running', startedAt: ago(60_000), supervisorPid: deadPid() }, now)).toBe('Exited');
  });

  it("rounds durations as Docker's ps does", () => {
    const cases: Array<[number, string]> = [
      [999, 'Less than a second'],
      [1000, '1 second'],
      [59_999, '59 seconds'],
      [60_000, 'About a minute'],
      [119_999, 'About a minute'],
      [120_000, '2 minutes'],
      [59 * 60_000, '59 minutes'],
      [60 * 60_000, 'About an hour'],
      [89 * 60_000, 'About an hour'],
      [90 * 60_000, '2 hours'],
      [47 * 3_600_000, '47 hours'],
      [48 * 3_600_000, '2 days'],
      [13 * 86_400_000, '13 days'],
      [14 * 86_400_000, '2 weeks'],
      [59 * 86_400_000, '8 weeks'],
      [60 * 86_400_000, '2 months'],
      [729 * 86_400_000, '24 months'],
      [730 * 86_400_000, '2 years'],
    ];
    for (const [ms, text] of cases) expect(humanDuration(ms), `${ms} ms`).toBe(text);
  });
});
