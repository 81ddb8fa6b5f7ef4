import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { skipRunSteps } from '../build/testing.ts';
import { processAlive } from '../build/scratch.ts';
import { observedState } from './containers.ts';
import { readLogs } from './logs.ts';
import { SUPERVISOR_LOG, startDetachedSupervisor } from './supervisor-main.ts';
import { stopContainer } from './lifecycle.ts';
import { createTestContainer, useContainerSandbox } from './testing.ts';

const skip = skipRunSteps();

const sandbox = useContainerSandbox('detached');

/** True while the container's record says it runs (the `logs --follow` question). */
function isRunning(id: string): () => Promise<boolean> {
  return async () => {
    const record = await sandbox.store.get(id);
    return record !== undefined && (observedState(record) === 'running' || observedState(record) === 'restarting');
  };
}

describe.skipIf(skip)('startDetachedSupervisor', () => {
  it('starts a supervisor of its own that runs the container to the end; logs follow it', async () => {
    const { id } = await createTestContainer(sandbox.store, sandbox.imageRoot, { args: ['/bin/sh', '-c', 'echo hello; sleep 1; echo bye >&2; exit 4'] });
    const pid = await startDetachedSupervisor(sandbox.store, id);
    expect(pid).not.toBe(process.pid);
    const started = await sandbox.store.get(id);
    expect(started?.supervisorPid).toBe(pid);
    expect(started?.state).toBe('running');
    // The terminal that started it may hang up.
    process.kill(pid, 'SIGHUP');

    const entries: Array<[string, string]> = [];
    for await (const entry of readLogs(sandbox.store.dir(id), { follow: true, isRunning: isRunning(id) })) entries.push([entry.stream, entry.log]);
    expect(entries).toEqual([
      ['stdout', 'hello\n'],
      ['stderr', 'bye\n'],
    ]);
    expect(await sandbox.store.get(id)).toMatchObject({ state: 'exited', exitCode: 4, supervisorPid: pid });
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(20);
    expect(processAlive(pid)).toBe(false);
    expect(await readFile(join(sandbox.store.dir(id), SUPERVISOR_LOG), 'utf8')).toMatch(/ended with exit code 4/);
  });

  it('resolves for a container that ended before it looked, and a stop reaches the detached container', async () => {
    const quick = await createTestContainer(sandbox.store, sandbox.imageRoot, { args: ['/bin/sh', '-c', 'exit 0'] });
    await startDetachedSupervisor(sandbox.store, quick.id);
    await expect(stopContainer(sandbox.store, quick.id)).resolves.toMatchObject({ state: 'exited' });

    const { id } = await createTestContainer(sandbox.store, sandbox.imageRoot, { args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'], restart: { kind: 'always' } });
    const pid = await startDetachedSupervisor(sandbox.store, id);
    const record = await stopContainer(sandbox.store, id);
    expect(record).toMatchObject({ state: 'exited', exitCode: 0, restartCount: 0 });
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(20);
    expect(processAlive(pid)).toBe(false);
  });

  it('stops its container when the supervisor is told to terminate', async () => {
    const { id } = await createTestContainer(sandbox.store, sandbox.imageRoot, { args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'], restart: { kind: 'always' } });
    const pid = await startDetachedSupervisor(sandbox.store, id);
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 250 && processAlive(pid); i++) await sleep(20);
    expect(processAlive(pid)).toBe(false);
    expect(await sandbox.store.get(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('fails with the supervisor’s own words when it cannot start', async () => {
    const { id } = await createTestContainer(sandbox.store, sandbox.imageRoot, { args: ['/bin/sh', '-c', 'exit 0'] });
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--require ${join(sandbox.store.dataHome, 'missing-preload.cjs')}`;
    try {
      await expect(startDetachedSupervisor(sandbox.store, id)).rejects.toThrow(/ended \(exit code 1\) without starting it:\n[^]*missing-preload\.cjs/);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect((await sandbox.store.get(id))?.state).toBe('created');
  });
});
