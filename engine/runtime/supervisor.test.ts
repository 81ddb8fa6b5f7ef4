import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { skipRunSteps } from '../build/testing.ts';
import { isMountPoint } from './container-root.ts';
import { LOG_FILE, type LogEntry } from './logs.ts';
import { STOP_MARKER, stopContainer } from './lifecycle.ts';
import { restartDelay, supervise } from './supervisor.ts';
import { createTestContainer, freePort, type TestContainerOptions, useContainerSandbox, waitForRecord } from './testing.ts';
import type { ContainerRecord } from './types.ts';

const skip = skipRunSteps();

const sandbox = useContainerSandbox('supervisor');

function container(options: TestContainerOptions): Promise<ContainerRecord> {
  return createTestContainer(sandbox.store, sandbox.imageRoot, options);
}

/** The entries of a container's log. */
async function logOf(id: string): Promise<LogEntry[]> {
  const text = await readFile(join(sandbox.store.dir(id), LOG_FILE), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry);
}

/** What a connection to 127.0.0.1:`port` receives until the other side closes it (or a line came). */
function readFromPort(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.endsWith('\n')) socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
}

describe('restartDelay', () => {
  it('doubles from 100 ms up to a minute, and starts over after a steady run', () => {
    const delays: number[] = [];
    let delay = 0;
    for (let i = 0; i < 12; i++) delays.push((delay = restartDelay(delay, 50)));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]);
    expect(restartDelay(60_000, 9_999)).toBe(60_000);
    expect(restartDelay(60_000, 10_000)).toBe(100);
  });
});

describe.skipIf(skip)('supervise', () => {
  it('passes the exit code through and records the run', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'exit 3'] });
    const before = Date.now();
    const record = await supervise(sandbox.store, id);
    expect(record).toMatchObject({ state: 'exited', exitCode: 3, restartCount: 0, supervisorPid: process.pid, oomKilled: false });
    expect(record.pid).toBeUndefined();
    expect(record.error).toBeUndefined();
    expect(Date.parse(record.startedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(record.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(record.startedAt ?? ''));
    expect(record.memoryCgroup).toContain(id);
    expect(await sandbox.store.get(id)).toEqual(record);
  });

  it('logs stdout and stderr interleaved as they came, and hands them to onOutput', async () => {
    const script = 'echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; sleep 0.05; echo err2 >&2; sleep 0.05; printf partial';
    const { id } = await container({ args: ['/bin/sh', '-c', script] });
    const seen: string[] = [];
    const record = await supervise(sandbox.store, id, { onOutput: (stream, chunk) => seen.push(`${stream}:${chunk}`) });
    expect(record.exitCode).toBe(0);
    expect((await logOf(id)).map((e) => [e.stream, e.log])).toEqual([
      ['stdout', 'out1\n'],
      ['stderr', 'err1\n'],
      ['stdout', 'out2\n'],
      ['stderr', 'err2\n'],
      ['stdout', 'partial'],
    ]);
    expect(seen.join('')).toBe('stdout:out1\nstderr:err1\nstdout:out2\nstderr:err2\nstdout:partial');
  });

  it('feeds stdin to the container when given', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'read line; echo "got $line"'] });
    const record = await supervise(sandbox.store, id, { stdin: Readable.from(['hello\n']) });
    expect(record.exitCode).toBe(0);
    expect((await logOf(id)).map((e) => e.log)).toEqual(['got hello\n']);
  });

  it('exits 127 for a missing executable and 126 for one that cannot run, with the runtime’s reason and a clean log', async () => {
    const missing = await container({ args: ['/no/such/program'] });
    const seen: string[] = [];
    const one = await supervise(sandbox.store, missing.id, { onOutput: (_, chunk) => seen.push(chunk) });
    expect(one).toMatchObject({ state: 'exited', exitCode: 127 });
    expect(one.error).toMatch(/\/no\/such\/program.*no such file or directory/);
    expect(one.startedAt).toBeUndefined();
    const notOnPath = await container({ args: ['no-such-program'] });
    expect((await supervise(sandbox.store, notOnPath.id)).exitCode).toBe(127);
    const notExecutable = await container({ args: ['/not-executable'] });
    const two = await supervise(sandbox.store, notExecutable.id);
    expect(two.exitCode).toBe(126);
    expect(two.error).toMatch(/permission denied/);
    expect(await logOf(missing.id)).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('says when the kernel killed the container for memory', async () => {
    const hog = await container({ args: ['/bin/sh', '-c', 'x=0123456789abcdef; while true; do x="$x$x"; done'], memoryLimit: 16 * 1024 * 1024 });
    const record = await supervise(sandbox.store, hog.id);
    expect(record).toMatchObject({ oomKilled: true, exitCode: 137 });
    const calm = await container({ args: ['/bin/sh', '-c', 'echo fine'], memoryLimit: 16 * 1024 * 1024 });
    expect(await supervise(sandbox.store, calm.id)).toMatchObject({ oomKilled: false, exitCode: 0 });
  });

  it('restarts on failure as many times as allowed, waiting longer each time', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'echo run; exit 1'], restart: { kind: 'on-failure', maxRetries: 2 } });
    const states: string[] = [];
    const watching = setInterval(() => void sandbox.store.get(id).then((r) => r && states.at(-1) !== r.state && states.push(r.state)), 5);
    const started = Date.now();
    const record = await supervise(sandbox.store, id).finally(() => clearInterval(watching));
    // Checked before anything awaits, so that no look still under way adds to them.
    const seen = states.at(-1) === record.state ? [...states] : [...states, record.state];
    expect(seen).toContain('restarting');
    // Never `exited` between runs: a log follower would stop there.
    expect(seen.slice(0, -1)).not.toContain('exited');
    expect(record).toMatchObject({ state: 'exited', exitCode: 1, restartCount: 2 });
    expect((await logOf(id)).map((e) => e.log)).toEqual(['run\n', 'run\n', 'run\n']);
    // Waits of 100 and 200 ms between the runs.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('does not restart on success under on-failure, and restarts always under always until stopped', async () => {
    const ok = await container({ args: ['/bin/sh', '-c', 'exit 0'], restart: { kind: 'on-failure' } });
    expect((await supervise(sandbox.store, ok.id)).restartCount).toBe(0);

    const always = await container({ args: ['/bin/sh', '-c', 'echo run'], restart: { kind: 'always' } });
    const supervising = supervise(sandbox.store, always.id);
    await waitForRecord(sandbox.store, always.id, (r) => r.restartCount >= 2);
    const stopped = await stopContainer(sandbox.store, always.id, 5);
    expect(stopped.state).toBe('exited');
    const record = await supervising;
    expect(record.state).toBe('exited');
    expect(existsSync(join(sandbox.store.dir(always.id), STOP_MARKER))).toBe(true);
  });

  it('publishes its ports while it runs', async () => {
    const hostPort = await freePort();
    const { id } = await container({ args: ['/bin/sh', '-c', 'while true; do echo hello | nc -l -p 8080; done'], ports: [{ hostIp: '127.0.0.1', hostPort, containerPort: 8080, protocol: 'tcp' }] });
    const supervising = supervise(sandbox.store, id);
    await waitForRecord(sandbox.store, id, (r) => r.state === 'running');
    expect(await readFromPort(hostPort)).toBe('hello\n');
    await stopContainer(sandbox.store, id, 1);
    await supervising;
    await expect(readFromPort(hostPort)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('ends as its process did when that ends before its ports are published', async () => {
    const hostPort = await freePort();
    for (let i = 0; i < 3; i++) {
      const { id } = await container({ args: ['/bin/sh', '-c', 'exit 0'], ports: [{ hostIp: '127.0.0.1', hostPort, containerPort: 8080, protocol: 'tcp' }] });
      expect(await supervise(sandbox.store, id)).toMatchObject({ exitCode: 0 });
    }
  });

  it('fails with 125 when a port cannot be published', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      const { id } = await container({ args: ['/bin/sh', '-c', 'sleep 1000'], restart: { kind: 'always' }, ports: [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 8080, protocol: 'tcp' }] });
      const record = await supervise(sandbox.store, id);
      expect(record).toMatchObject({ state: 'exited', exitCode: 125, restartCount: 0 });
      expect(record.error).toMatch(/^publishing ports: /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('is stopped by a stop that comes while it is being started', async () => {
    const hostPort = await freePort();
    const { id } = await container({ args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'], restart: { kind: 'always' }, ports: [{ hostIp: '127.0.0.1', hostPort, containerPort: 8080, protocol: 'tcp' }] });
    const supervising = supervise(sandbox.store, id);
    await waitForRecord(sandbox.store, id, (r) => r.supervisorPid === process.pid);
    const record = await stopContainer(sandbox.store, id);
    expect(record).toMatchObject({ state: 'exited', exitCode: 0, restartCount: 0 });
    await supervising;
  });

  it('does not restart a process the runtime could not start', async () => {
    const { id } = await container({ args: ['/no/such/program'], restart: { kind: 'always' } });
    expect(await supervise(sandbox.store, id)).toMatchObject({ exitCode: 127, restartCount: 0 });
  });

  it('removes an autoRemove container when it ends, root unmounted', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'exit 0'], autoRemove: true });
    const root = join(sandbox.store.bundleDir(id), 'rootfs');
    expect(await isMountPoint(root)).toBe(true);
    const record = await supervise(sandbox.store, id);
    expect(record.exitCode).toBe(0);
    expect(await isMountPoint(root)).toBe(false);
    expect(existsSync(sandbox.store.dir(id))).toBe(false);
  });

  it('stops when its signal is aborted', async () => {
    const { id } = await container({ args: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'], restart: { kind: 'always' } });
    const controller = new AbortController();
    const supervising = supervise(sandbox.store, id, { signal: controller.signal });
    await waitForRecord(sandbox.store, id, (r) => r.state === 'running');
    const started = Date.now();
    controller.abort();
    const record = await supervising;
    expect(record).toMatchObject({ state: 'exited', exitCode: 0, restartCount: 0 });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
