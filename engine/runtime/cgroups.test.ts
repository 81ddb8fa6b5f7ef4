import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectedMemoryCgroup, memoryCgroupIn, memoryCgroupOf, memoryHierarchy, readOomKills } from './cgroups.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-cgroups-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const V1_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '35 31 0:32 /outer /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const V2_MOUNTINFO = '30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';

describe('memoryHierarchy', () => {
  it('takes the v1 hierarchy with the memory controller over a unified one (hybrid hosts)', () => {
    expect(memoryHierarchy(V1_MOUNTINFO)).toEqual({ version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/outer' });
  });

  it('takes the unified hierarchy on a v2 host', () => {
    expect(memoryHierarchy(V2_MOUNTINFO)).toEqual({ version: 2, mountPoint: '/sys/fs/cgroup', root: '/' });
  });

  it('finds this host’s hierarchy', () => {
    expect(memoryHierarchy()?.mountPoint).toMatch(/^\/sys\/fs\/cgroup/);
  });
});

describe('memoryCgroupIn', () => {
  const text = '9:name=systemd:/nocker/x\n4:memory:/process_api/e4d0/nocker/x\n3:cpu,cpuacct:/nocker/x\n0::/nocker/x\n';

  it('reads the v1 memory line or the v2 line', () => {
    expect(memoryCgroupIn(text, 1)).toBe('/process_api/e4d0/nocker/x');
    expect(memoryCgroupIn(text, 2)).toBe('/nocker/x');
    expect(memoryCgroupIn('0::/user.slice/a.scope\n', 2)).toBe('/user.slice/a.scope');
    expect(memoryCgroupIn('1:cpu:/\n', 1)).toBeUndefined();
  });
});

describe('memoryCgroupOf and expectedMemoryCgroup', () => {
  it('find this process’s own memory cgroup; a relative path goes where runc puts it', async () => {
    const own = await memoryCgroupOf('self');
    expect(own).toBeDefined();
    const hierarchy = memoryHierarchy();
    const expected = await expectedMemoryCgroup('nocker/abc', 'abc');
    if (hierarchy?.version === 1) expect(expected).toBe(join(own as string, 'nocker/abc'));
    else expect(expected).toBe(join(own as string, '..', 'nocker/abc'));
    expect(await expectedMemoryCgroup('/nocker/abc', 'abc')).toBe(join(hierarchy?.mountPoint ?? '', 'nocker/abc'));
  });

  it('find a child process’s cgroup while it lives and nothing once it is gone', async () => {
    const child = spawn('sleep', ['5']);
    try {
      expect(await memoryCgroupOf(child.pid as number)).toBe(await memoryCgroupOf('self'));
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    }
    expect(await memoryCgroupOf(child.pid as number)).toBeUndefined();
  });
});

describe('readOomKills', () => {
  it('reads oom_kill from memory.events (v2) or memory.oom_control (v1)', async () => {
    await mkdir(join(dir, 'v2'));
    await writeFile(join(dir, 'v2', 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n');
    await mkdir(join(dir, 'v1'));
    await writeFile(join(dir, 'v1', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    expect(await readOomKills(join(dir, 'v2'))).toBe(2);
    expect(await readOomKills(join(dir, 'v1'))).toBe(1);
    expect(await readOomKills(join(dir, 'gone'))).toBeUndefined();
  });
});
