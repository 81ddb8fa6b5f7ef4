import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUser } from './user.ts';

let rootfs: string;

beforeAll(async () => {
  rootfs = await mkdtemp(join(tmpdir(), 'nocker-user-'));
  await mkdir(join(rootfs, 'etc'));
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nstaff:x:50:app\napp:x:1001:\n');
});

afterAll(() => rm(rootfs, { recursive: true, force: true }));

describe('resolveUser', () => {
  it('reads numbers as they are, the gid from passwd when missing', async () => {
    expect(await resolveUser(rootfs, '1000:1000')).toEqual({ uid: 1000, gid: 1000, additionalGids: [50] });
    expect(await resolveUser(rootfs, '1000')).toEqual({ uid: 1000, gid: 1001, additionalGids: [50] });
    expect(await resolveUser(rootfs, '4242')).toEqual({ uid: 4242, gid: 0, additionalGids: [] });
  });

  it('looks names up in the image', async () => {
    expect(await resolveUser(rootfs, 'app')).toEqual({ uid: 1000, gid: 1001, additionalGids: [50] });
    expect(await resolveUser(rootfs, 'nobody:staff')).toEqual({ uid: 65534, gid: 50, additionalGids: [] });
    expect(await resolveUser(rootfs, '')).toEqual({ uid: 0, gid: 0, additionalGids: [] });
  });

  it('says which name is unknown', async () => {
    await expect(resolveUser(rootfs, 'ghost')).rejects.toThrow('user "ghost" is not in the image\'s /etc/passwd');
    await expect(resolveUser(rootfs, 'app:ghosts')).rejects.toThrow('group "ghosts" is not in the image\'s /etc/group');
  });
});
