import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { skipRunSteps } from '../build/testing.ts';
import { execInContainer, removeContainer, stopContainer } from './lifecycle.ts';
import { supervise } from './supervisor.ts';
import { createTestContainer, type TestContainerOptions, useContainerSandbox, waitForRecord } from './testing.ts';
import type { ContainerRecord } from './types.ts';

const skip = skipRunSteps();
const sandbox = useContainerSandbox('lifecycle');

function container(options: TestContainerOptions): Promise<ContainerRecord> {
  return createTestContainer(sandbox.store, sandbox.imageRoot, options);
}

describe.skipIf(skip)('stopContainer', () => {
  it('kills a container that ignores SIGTERM once the timeout has passed', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'trap "" TERM; sleep 1000'] });
    const supervising = supervise(sandbox.store, id);
    await waitForRecord(sandbox.store, id, (r) => r.state === 'running');
    const started = Date.now();
    const record = await stopContainer(sandbox.store, id, 2);
    const took = Date.now() - started;
    expect(record).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(5000);
    await supervising;
  });

  it('stops a container that ends on SIGTERM at once', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'] });
    const supervising = supervise(sandbox.store, id);
    await waitForRecord(sandbox.store, id, (r) => r.state === 'running');
    const started = Date.now();
    const record = await stopContainer(sandbox.store, id, 10);
    expect(record).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(Date.now() - started).toBeLessThan(1500);
    await supervising;
  });

  it('leaves a container that is not running as it is', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'exit 0'] });
    expect((await stopContainer(sandbox.store, id)).state).toBe('created');
    await supervise(sandbox.store, id);
    expect(await stopContainer(sandbox.store, id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });
});

describe.skipIf(skip)('removeContainer and execInContainer', () => {
  it('refuses to remove a running container without force, and removes it with force', async () => {
    const { id, name } = await container({ args: ['/bin/sh', '-c', 'trap "" TERM; sleep 1000'] });
    const supervising = supervise(sandbox.store, id);
    await waitForRecord(sandbox.store, id, (r) => r.state === 'running');
    await expect(removeContainer(sandbox.store, id)).rejects.toThrow(`cannot remove container ${name}: it is running`);
    const started = Date.now();
    await removeContainer(sandbox.store, name, { force: true });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(existsSync(sandbox.store.dir(id))).toBe(false);
    const record = await supervising;
    expect(record.exitCode).toBe(137);
  });

  it('runs a command in a running container and gives its exit code', async () => {
    const record = await container({ args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'] });
    const supervising = supervise(sandbox.store, record.id);
    const running = await waitForRecord(sandbox.store, record.id, (r) => r.state === 'running');
    expect(await execInContainer(sandbox.store, running, ['/bin/sh', '-c', 'test "$GREETING" = hi && test "$(pwd)" = /etc && exit 7'], { env: ['GREETING=hi'], cwd: '/etc', stdio: 'ignore' })).toBe(7);
    expect(await execInContainer(sandbox.store, running, ['/no/such/program'], { stdio: 'ignore' })).toBe(127);
    expect(await execInContainer(sandbox.store, running, ['/not-executable'], { stdio: 'ignore' })).toBe(126);
    await stopContainer(sandbox.store, record.id);
    await supervising;
    await expect(execInContainer(sandbox.store, (await sandbox.store.get(record.id)) as ContainerRecord, ['true'], { stdio: 'ignore' })).rejects.toThrow('is not running');
  });
});
