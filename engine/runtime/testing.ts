/**
 * Helpers for tests of the container runtime manager (not itself a test file): a busybox root
 * filesystem to run, a minimal OCI bundle config for it, containers made from it, and the
 * clean-up that leaves no container, mount or process behind.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { bundleConfig, chooseRuntime } from '../build/runtime.ts';
import { skipRunSteps, writeBusyboxTree } from '../build/testing.ts';
import { swapAccounted } from './cgroups.ts';
import { mountContainerRoot } from './container-root.ts';
import { processAlive } from '../build/scratch.ts';
import { ContainerStore } from './containers.ts';
import { removeContainer } from './lifecycle.ts';
import type { ContainerRecord, PublishedPort, RestartPolicy } from './types.ts';

/** Applets besides those writeBusyboxTree links, for the shell scripts tests run. */
const MORE_APPLETS = ['sleep', 'true', 'false', 'head', 'dd', 'env', 'kill', 'seq', 'tr', 'wc', 'date', 'nc'];

/**
 * Writes a busybox root filesystem to run containers from: writeBusyboxTree's tree, more
 * applets, the runtime's mount points and a file that is not executable (`/not-executable`).
 *
 * @example
 * await writeBusyboxRootfs(join(dir, 'image-root'));
 */
export async function writeBusyboxRootfs(root: string): Promise<void> {
  await writeBusyboxTree(root);
  for (const applet of MORE_APPLETS) await symlink('busybox', join(root, 'bin', applet));
  for (const point of ['proc', 'sys', 'dev', 'tmp']) await mkdir(join(root, point), { recursive: true, mode: 0o755 });
  await writeFile(join(root, 'not-executable'), '#!/bin/sh\necho should not run\n', { mode: 0o644 });
}

/** What a test container runs. */
export interface TestProcess {
  args: string[];
  env?: string[];
  /** A memory limit in bytes (swap limited to the same where the host accounts swap). */
  memoryLimit?: number;
}

/**
 * A minimal OCI runtime config for container `id`: the build's bundle config (its own
 * namespaces, no network), cgroups under `nocker/<id>`, and the memory limit if one is given.
 *
 * @example
 * await writeFile(join(store.bundleDir(id), 'config.json'), JSON.stringify(minimalConfig(id, { args: ['/bin/sh', '-c', 'exit 3'] })));
 */
export function minimalConfig(id: string, process: TestProcess): Record<string, unknown> {
  const config = bundleConfig({ args: process.args, env: process.env ?? ['PATH=/bin'], cwd: '/', network: 'none' });
  const linux = config.linux as Record<string, unknown>;
  linux.cgroupsPath = `nocker/${id}`;
  if (process.memoryLimit !== undefined) {
    linux.resources = { memory: { limit: process.memoryLimit, ...(swapAccounted() ? { swap: process.memoryLimit } : {}) } };
  }
  return config;
}

/** What {@link createTestContainer} makes besides the process. */
export interface TestContainerOptions extends TestProcess {
  name?: string;
  restart?: RestartPolicy;
  autoRemove?: boolean;
  ports?: PublishedPort[];
}

/**
 * A container of `store` running `options.args` from the busybox root at `imageRoot`: record
 * created, root mounted (overlay), bundle config written.
 *
 * @example
 * const record = await createTestContainer(store, imageRoot, { args: ['/bin/sh', '-c', 'echo hi'] });
 */
export async function createTestContainer(store: ContainerStore, imageRoot: string, options: TestContainerOptions): Promise<ContainerRecord> {
  const record = await store.create({
    name: options.name,
    image: 'test/busybox:latest',
    imageDigest: `sha256:${'0'.repeat(64)}`,
    configDigest: `sha256:${'1'.repeat(64)}`,
    command: options.args,
    environment: 'testing',
    restart: options.restart ?? { kind: 'no' },
    autoRemove: options.autoRemove ?? false,
    memoryLimit: options.memoryLimit,
    ports: options.ports ?? [],
    user: '0:0',
    runtime: chooseRuntime(process.env).path,
  });
  await mountContainerRoot(imageRoot, store.dir(record.id));
  await writeFile(join(store.bundleDir(record.id), 'config.json'), JSON.stringify(minimalConfig(record.id, options)));
  return record;
}

/**
 * Removes every container of `store` by force (killed, supervisor waited for, root unmounted,
 * directory removed), then kills whatever supervisor process of theirs is still alive. For
 * afterEach: it does not stop at the first failure.
 *
 * @example
 * afterEach(() => removeAllContainers(store));
 */
export async function removeAllContainers(store: ContainerStore): Promise<void> {
  const failures: string[] = [];
  for (const record of await store.list()) {
    try {
      await removeContainer(store, record.id, { force: true });
    } catch (err) {
      failures.push(`${record.name}: ${(err as Error).message}`);
    }
    const supervisor = record.supervisorPid;
    if (supervisor !== undefined && supervisor !== process.pid && processAlive(supervisor)) {
      process.kill(supervisor, 'SIGKILL');
      for (let i = 0; i < 100 && processAlive(supervisor); i++) await sleep(20);
    }
  }
  if (failures.length > 0) throw new Error(`clean-up failed:\n${failures.join('\n')}`);
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What {@link useContainerSandbox} gives each test. */
export interface ContainerSandbox {
  /** A fresh store in a temporary data home, new for each test. */
  readonly store: ContainerStore;
  /** The busybox root filesystem containers are made from, shared by the file's tests. */
  readonly imageRoot: string;
}

/**
 * Registers the hooks of a test file whose tests run containers: a busybox image root once
 * (unless the runtime is unavailable and the tests skip), a fresh store per test, and every
 * container, mount and process removed after each test, failed or not.
 *
 * @example
 * const sandbox = useContainerSandbox('supervisor');
 * it('runs', async () => { await createTestContainer(sandbox.store, sandbox.imageRoot, { args: ['/bin/true'] }); });
 */
export function useContainerSandbox(name: string): ContainerSandbox {
  const skip = skipRunSteps();
  let imageDir: string | undefined;
  let dir: string | undefined;
  let store: ContainerStore | undefined;
  beforeAll(async () => {
    if (skip) return;
    imageDir = await mkdtemp(join(tmpdir(), 'nocker-image-'));
    await writeBusyboxRootfs(join(imageDir, 'rootfs'));
  });
  afterAll(async () => {
    if (imageDir) await rm(imageDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `nocker-${name}-`));
    store = new ContainerStore(dir);
  });
  afterEach(async () => {
    try {
      if (!skip && store) await removeAllContainers(store);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });
  return {
    get store() {
      if (!store) throw new Error('the container store exists only inside a test');
      return store;
    },
    get imageRoot() {
      return join(imageDir ?? '', 'rootfs');
    },
  };
}

/**
 * Waits until the record of container `id` satisfies `done`; fails after `ms`, showing the
 * record as it was.
 *
 * @example
 * await waitForRecord(store, id, (r) => r.state === 'running');
 */
export async function waitForRecord(store: ContainerStore, id: string, done: (record: ContainerRecord) => boolean, ms = 10_000): Promise<ContainerRecord> {
  const until = Date.now() + ms;
  for (;;) {
    const record = await store.get(id);
    if (record && done(record)) return record;
    if (Date.now() > until) throw new Error(`timed out waiting; record: ${JSON.stringify(record)}`);
    await sleep(20);
  }
}
