import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { skipRunSteps } from '../build/testing.ts';
import { ContainerStore, observedState, processAlive } from './containers.ts';
import { readLogs } from './logs.ts';
import { SUPERVISOR_LOG, startDetachedSupervisor } from './supervisor-main.ts';
import { stopContainer } from './supervisor.ts';
import { createTestContainer, removeAllContainers, writeBusyboxRootfs } from './testing.ts';

const skip = skipRunSteps();

let imageDir: string;
let imageRoot: string;
let dir: string;
let store: ContainerStore;

beforeAll(async () => {
  if (skip) return;
  imageDir = await mkdtemp(join(tmpdir(), 'nocker-image-'));
  imageRoot = join(imageDir, 'rootfs');
  await writeBusyboxRootfs(imageRoot);
});
afterAll(async () => {
  if (imageDir) await rm(imageDir, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-detached-'));
  store = new ContainerStore(dir);
});
afterEach(async () => {
  try {
    if (!skip) await removeAllContainers(store);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** True while the container's record says it runs (the `logs --follow` question). */
function isRunning(id: string): () => Promise<boolean> {
  return async () => {
    const record = await store.get(id);
    return record !== undefined && (observedState(record) === 'running' || observedState(record) === 'restarting');
  };
}

describe.skipIf(skip)('startDetachedSupervisor', () => {
  it('starts a supervisor of its own that runs the container to the end; logs follow it', async () => {
    const { id } = await createTestContainer(store, imageRoot, { args: ['/bin/sh', '-c', 'echo hello; sleep 1; echo bye >&2; exit 4'] });
    const pid = await startDetachedSupervisor(store, id);
    expect(pid).not.toBe(process.pid);
    const started = await store.get(id);
    expect(started?.supervisorPid).toBe(pid);
    expect(started?.state).toBe('running');
    // The terminal that started it may hang up.
    process.kill(pid, 'SIGHUP');

    const entries: Array<[string, string]> = [];
    for await (const entry of readLogs(store.dir(id), { follow: true, isRunning: isRunning(id) })) entries.push([entry.stream, entry.log]);
    expect(entries).toEqual([
      ['stdout', 'hello\n'],
      ['stderr', 'bye\n'],
    ]);
    expect(await store.get(id)).toMatchObject({ state: 'exited', exitCode: 4, supervisorPid: pid });
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(20);
    expect(processAlive(pid)).toBe(false);
    expect(await readFile(join(store.dir(id), SUPERVISOR_LOG), 'utf8')).toMatch(/ended with exit code 4/);
  });

  it('resolves for a container that ended before it looked, and a stop reaches the detached container', async () => {
    const quick = await createTestContainer(store, imageRoot, { args: ['/bin/sh', '-c', 'exit 0'] });
    await startDetachedSupervisor(store, quick.id);
    await expect(stopContainer(store, quick.id)).resolves.toMatchObject({ state: 'exited' });

    const { id } = await createTestContainer(store, imageRoot, { args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'], restart: { kind: 'always' } });
    const pid = await startDetachedSupervisor(store, id);
    const record = await stopContainer(store, id);
    expect(record).toMatchObject({ state: 'exited', exitCode: 0, restartCount: 0 });
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(20);
    expect(processAlive(pid)).toBe(false);
  });

  it('stops its container when the supervisor is told to terminate', async () => {
    const { id } = await createTestContainer(store, imageRoot, { args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'], restart: { kind: 'always' } });
    const pid = await startDetachedSupervisor(store, id);
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 250 && processAlive(pid); i++) await sleep(20);
    expect(processAlive(pid)).toBe(false);
    expect(await store.get(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('fails with the supervisor’s own words when it cannot start', async () => {
    const { id } = await createTestContainer(store, imageRoot, { args: ['/bin/sh', '-c', 'exit 0'] });
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--require ${join(dir, 'missing-preload.cjs')}`;
    try {
      await expect(startDetachedSupervisor(store, id)).rejects.toThrow(/ended \(exit code 1\) without starting it:\n[^]*missing-preload\.cjs/);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect((await store.get(id))?.state).toBe('created');
  });
});
