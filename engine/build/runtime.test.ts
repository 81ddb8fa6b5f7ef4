import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleConfig, chooseRuntime, runContainer, RuntimeUnavailableError, TAIL_LINES, type ContainerSpec, type OciRuntime } from './runtime.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-runtime-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes an executable shell script at `path` (its parent made if missing). */
async function script(path: string, body: string, mode = 0o755): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`, { mode });
  return path;
}

describe('chooseRuntime', () => {
  /** A PATH directory holding fake runtimes of the given names. */
  async function pathWith(...names: string[]): Promise<string> {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    for (const name of names) await script(join(bin, name), 'exit 0');
    return bin;
  }

  it('takes runc first on cgroup v1 and crun first on cgroup v2', async () => {
    const PATH = await pathWith('runc', 'crun');
    expect(chooseRuntime({ PATH }, false)).toEqual({ name: 'runc', path: join(PATH, 'runc') });
    expect(chooseRuntime({ PATH }, true)).toEqual({ name: 'crun', path: join(PATH, 'crun') });
  });

  it('falls back to the other runtime when the preferred one is missing', async () => {
    const onlyCrun = await pathWith('crun');
    expect(chooseRuntime({ PATH: onlyCrun }, false)).toEqual({ name: 'crun', path: join(onlyCrun, 'crun') });
    await rm(onlyCrun, { recursive: true });
    const onlyRunc = await pathWith('runc');
    expect(chooseRuntime({ PATH: onlyRunc }, true)).toEqual({ name: 'runc', path: join(onlyRunc, 'runc') });
  });

  it('searches PATH in order and skips files that are not executable', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await script(join(first, 'runc'), 'exit 0', 0o644);
    await script(join(second, 'runc'), 'exit 0');
    await script(join(dir, 'third', 'runc'), 'exit 0');
    const PATH = [join(dir, 'missing'), first, second, join(dir, 'third')].join(delimiter);
    expect(chooseRuntime({ PATH }, false)).toEqual({ name: 'runc', path: join(second, 'runc') });
  });

  it('takes NOCKER_RUNTIME as a name on PATH over the cgroup preference', async () => {
    const PATH = await pathWith('runc', 'crun');
    expect(chooseRuntime({ PATH, NOCKER_RUNTIME: 'crun' }, false)).toEqual({ name: 'crun', path: join(PATH, 'crun') });
    expect(chooseRuntime({ PATH, NOCKER_RUNTIME: ' runc ' }, true)).toEqual({ name: 'runc', path: join(PATH, 'runc') });
  });

  it('takes NOCKER_RUNTIME as a path, even one off PATH', async () => {
    const PATH = await pathWith('runc');
    const custom = await script(join(dir, 'opt', 'my-runtime'), 'exit 0');
    expect(chooseRuntime({ PATH, NOCKER_RUNTIME: custom }, false)).toEqual({ name: custom, path: custom });
  });

  it('ignores an empty NOCKER_RUNTIME', async () => {
    const PATH = await pathWith('runc');
    expect(chooseRuntime({ PATH, NOCKER_RUNTIME: '  ' }, true).name).toBe('runc');
  });

  it('throws RuntimeUnavailableError when NOCKER_RUNTIME names something missing, without falling back', async () => {
    const PATH = await pathWith('runc', 'crun');
    for (const wanted of ['youki', join(dir, 'nowhere', 'runc')]) {
      const choose = () => chooseRuntime({ PATH, NOCKER_RUNTIME: wanted }, false);
      expect(choose).toThrow(RuntimeUnavailableError);
      expect(choose).toThrow(`NOCKER_RUNTIME is "${wanted}"`);
    }
  });

  it('throws RuntimeUnavailableError saying what to install when no runtime is found', async () => {
    const PATH = await pathWith();
    let error: unknown;
    try {
      chooseRuntime({ PATH }, true);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect((error as Error).name).toBe('RuntimeUnavailableError');
    expect((error as Error).message).toContain('apt-get install runc');
    expect((error as Error).message).toContain('NOCKER_RUNTIME');
  });
});

/** The parts of a bundle's config.json the tests look at. */
interface Bundle {
  process: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number } };
  root: { path: string; readonly: boolean };
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  linux: { namespaces: { type: string }[] };
}

describe('bundleConfig', () => {
  const spec: ContainerSpec = { args: ['/bin/sh', '-c', 'make install'], env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8'], cwd: '/src', network: 'none' };
  // A JSON round trip, as the runtime reads it from config.json.
  const config = (s: ContainerSpec) => JSON.parse(JSON.stringify(bundleConfig(s))) as Bundle;
  const namespaces = (s: ContainerSpec) => config(s).linux.namespaces.map((n) => n.type);

  it('passes the command, environment and working directory through, run as root in a writable rootfs', () => {
    const { process, root } = config(spec);
    expect(process.args).toEqual(['/bin/sh', '-c', 'make install']);
    expect(process.env).toEqual(['PATH=/usr/bin:/bin', 'LANG=C.UTF-8']);
    expect(process.cwd).toBe('/src');
    expect(process.user).toEqual({ uid: 0, gid: 0 });
    expect(root).toEqual({ path: 'rootfs', readonly: false });
  });

  it('gives network none a network namespace of its own, and host the host network', () => {
    expect(namespaces(spec)).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(namespaces({ ...spec, network: 'host' })).toEqual(['pid', 'ipc', 'uts', 'mount']);
  });

  it('mounts /proc, /dev and /sys, and each bind read-only', () => {
    const plain = config(spec).mounts.map((m) => m.destination);
    expect(plain).toEqual(expect.arrayContaining(['/proc', '/dev', '/dev/pts', '/sys']));
    const withBinds = config({ ...spec, binds: { '/etc/resolv.conf': '/run/host/resolv.conf', '/etc/hosts': '/run/host/hosts' } }).mounts;
    const binds = withBinds.filter((m) => m.type === 'bind');
    expect(binds.map((m) => [m.destination, m.source])).toEqual([
      ['/etc/resolv.conf', '/run/host/resolv.conf'],
      ['/etc/hosts', '/run/host/hosts'],
    ]);
    for (const bind of binds) expect(bind.options).toEqual(expect.arrayContaining(['rbind', 'ro']));
    expect(withBinds.length).toBe(plain.length + 2);
  });
});

describe('runContainer', () => {
  const ID = 'nocker-build-test';

  /**
   * A fake runtime: every call appends its arguments to a log; `run` does `runBody`, `kill` does
   * `killBody`, anything else (`delete`) exits 0.
   */
  async function fakeRuntime(runBody: string, killBody = 'exit 0'): Promise<{ runtime: OciRuntime; calls: () => Promise<string[]> }> {
    const log = join(dir, 'calls.log');
    const path = await script(
      join(dir, 'fake-runc'),
      [`echo "$*" >> '${log}'`, 'case "$1" in', `  run) ${runBody} ;;`, `  kill) ${killBody} ;;`, '  *) exit 0 ;;', 'esac'].join('\n'),
    );
    const calls = async () => (existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '') : []);
    return { runtime: { name: 'fake', path }, calls };
  }

  /** Runs the fake runtime's container, collecting the lines given to onLine. */
  async function run(runtime: OciRuntime, signal?: AbortSignal, onLine?: (line: string) => void) {
    const lines: string[] = [];
    const result = await runContainer(runtime, join(dir, 'bundle'), ID, (line) => {
      lines.push(line);
      onLine?.(line);
    }, signal);
    return { ...result, lines };
  }

  it('returns the exit code, runs the bundle, and deletes the container afterwards', async () => {
    const { runtime, calls } = await fakeRuntime('echo building; exit 3');
    const result = await run(runtime);
    expect(result).toEqual({ exitCode: 3, tail: ['building'], lines: ['building'] });
    expect(await calls()).toEqual([`run --bundle ${join(dir, 'bundle')} ${ID}`, `delete --force ${ID}`]);
  });

  it('returns 0 for a successful run, and still deletes the container', async () => {
    const { runtime, calls } = await fakeRuntime('exit 0');
    expect((await run(runtime)).exitCode).toBe(0);
    expect((await calls()).at(-1)).toBe(`delete --force ${ID}`);
  });

  it('keeps the last TAIL_LINES lines in order and gives every line to onLine', async () => {
    const total = TAIL_LINES + 15;
    const { runtime } = await fakeRuntime(`i=1; while [ $i -le ${total} ]; do echo "line $i"; i=$((i + 1)); done; printf 'no newline at the end'; exit 1`);
    const { exitCode, tail, lines } = await run(runtime);
    const expected = [...Array.from({ length: total }, (_, i) => `line ${i + 1}`), 'no newline at the end'];
    expect(exitCode).toBe(1);
    expect(lines).toEqual(expected);
    expect(tail).toEqual(expected.slice(-TAIL_LINES));
  });

  it('reads stderr as well as stdout', async () => {
    const { runtime } = await fakeRuntime('echo to-stdout; echo to-stderr >&2; exit 2');
    const { tail, lines } = await run(runtime);
    expect([...lines].sort()).toEqual(['to-stderr', 'to-stdout']);
    expect([...tail].sort()).toEqual(['to-stderr', 'to-stdout']);
  });

  it('reports 128 + the signal number when the run is killed by a signal', async () => {
    const { runtime } = await fakeRuntime('kill -TERM $$');
    expect((await run(runtime)).exitCode).toBe(128 + 15);
  });

  it('kills the container with KILL when the signal aborts, then deletes it', async () => {
    const pidFile = join(dir, 'run.pid');
    // `exec` so that the pid written is the one holding the output pipes.
    const { runtime, calls } = await fakeRuntime(`echo $$ > '${pidFile}'; echo started; exec sleep 30`, `kill -9 "$(cat '${pidFile}')"`);
    const controller = new AbortController();
    const started = Date.now();
    const result = await run(runtime, controller.signal, (line) => {
      if (line === 'started') controller.abort();
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode).toBe(128 + 9);
    expect(result.tail).toEqual(['started']);
    expect(await calls()).toEqual([`run --bundle ${join(dir, 'bundle')} ${ID}`, `kill ${ID} KILL`, `delete --force ${ID}`]);
  });

  it('does not kill anything when the signal aborts after the run ended', async () => {
    const { runtime, calls } = await fakeRuntime('exit 0');
    const controller = new AbortController();
    await run(runtime, controller.signal);
    controller.abort();
    await sleep(200);
    expect(await calls()).not.toContain(`kill ${ID} KILL`);
  });

  it('does not start the container when the signal was aborted before the run', async () => {
    const { runtime, calls } = await fakeRuntime('sleep 2; exit 0', 'exit 0');
    await expect(run(runtime, AbortSignal.abort())).rejects.toThrow();
    expect(await calls()).toEqual([]);
  });
});
