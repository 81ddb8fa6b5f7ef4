import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRootfs, parsePlatform } from './import.ts';
import { readTar, type TarReadEntry } from '../../hub/oci/tar-reader.ts';
import { writeTar } from './tar.ts';

let dir: string;
const platform = { os: 'linux', architecture: 'amd64' };

async function tree(root: string, seconds: number, reverse: boolean): Promise<void> {
  const files = ['etc/hostname', 'bin/sh', 'usr/lib/libc.so'];
  for (const f of reverse ? [...files].reverse() : files) {
    await mkdir(join(root, f, '..'), { recursive: true });
    await writeFile(join(root, f), `content of ${f}\n`);
  }
  await chmod(join(root, 'bin/sh'), 0o4755);
  await link(join(root, 'bin/sh'), join(root, 'bin/ash'));
  await symlink('/bin/sh', join(root, 'usr/sh'));
  for (const f of [...files, 'etc', 'bin', 'usr/lib', 'usr']) await utimes(join(root, f), seconds, seconds);
}

async function layerEntries(path: string): Promise<{ entry: TarReadEntry; text: string }[]> {
  const out: { entry: TarReadEntry; text: string }[] = [];
  for await (const entry of readTar(createReadStream(path).pipe(createGunzip()))) {
    const chunks: Buffer[] = [];
    for await (const c of entry.content) chunks.push(c);
    out.push({ entry, text: Buffer.concat(chunks).toString() });
  }
  return out;
}

/** A header block for an entry type the writer does not produce (devices, FIFOs). */
function rawHeader(path: string, typeflag: string, linkname = ''): Buffer {
  const b = Buffer.alloc(512);
  b.write(path, 0, 100);
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  b.write('00000000000\0', 124);
  b.write('00000000000\0', 136);
  b.fill(' ', 148, 156);
  b.write(typeflag, 156);
  b.write(linkname, 157, 100);
  b.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return b;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nocker-import-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('importRootfs', () => {
  it('gives the same image for the same content, plain or gzipped, in any order and with any timestamps', async () => {
    await tree(join(dir, 'a'), 1_600_000_000, false);
    await tree(join(dir, 'b'), 1_700_000_000, true);
    execFileSync('tar', ['-cf', join(dir, 'a.tar'), '-C', join(dir, 'a'), '.']);
    execFileSync('tar', ['-czf', join(dir, 'b.tar.gz'), '-C', join(dir, 'b'), 'usr', 'etc', 'bin']);
    const one = await importRootfs(join(dir, 'a.tar'), { platform, sourceDateEpoch: 0 });
    const two = await importRootfs(join(dir, 'b.tar.gz'), { platform, sourceDateEpoch: 0 });
    try {
      expect(two.layer.digest).toBe(one.layer.digest);
      expect(two.manifest.digest).toBe(one.manifest.digest);
      expect(one.notes).toEqual([]);
      const entries = await layerEntries(one.layer.path);
      expect(entries.map((e) => `${e.entry.path} ${e.entry.type} ${e.entry.mode.toString(8)} ${e.entry.mtime}`)).toEqual([
        'bin directory 755 0',
        'bin/ash file 4755 0',
        'bin/sh hardlink 4755 0',
        'etc directory 755 0',
        'etc/hostname file 644 0',
        'usr directory 755 0',
        'usr/lib directory 755 0',
        'usr/lib/libc.so file 644 0',
        'usr/sh symlink 777 0',
      ]);
      expect(entries.find((e) => e.entry.path === 'bin/ash')?.text).toBe('content of bin/sh\n');
      expect(entries.find((e) => e.entry.path === 'usr/sh')?.entry.linkname).toBe('/bin/sh');
      const config = JSON.parse(one.config.bytes.toString()) as { rootfs: { diff_ids: string[] }; architecture: string; os: string };
      expect(config).toMatchObject({ architecture: 'amd64', os: 'linux', rootfs: { diff_ids: [one.layer.diffId] } });
    } finally {
      await one.dispose();
      await two.dispose();
    }
    await expect(stat(one.layer.path)).rejects.toThrow();
  });

  it('skips device nodes, FIFOs, escaping paths and dangling hard links, saying so', async () => {
    const kept = [] as Buffer[];
    for await (const chunk of writeTar([{ type: 'file', path: 'kept', mode: 0o600, uid: 1000, gid: 1000, size: 2, open: async function* () { yield Buffer.from('ok'); } }])) kept.push(chunk);
    const tarball = Buffer.concat([rawHeader('dev/null', '3'), rawHeader('dev/sda', '4'), rawHeader('run/fifo', '6'), rawHeader('../evil', '0'), rawHeader('link', '1', 'missing'), ...kept]);
    await writeFile(join(dir, 'odd.tar'), tarball);
    const image = await importRootfs(join(dir, 'odd.tar'), { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, sourceDateEpoch: 10, message: 'odd' });
    try {
      expect(image.notes).toEqual([
        'skipped device node "dev/null": layers do not carry devices; the runtime provides /dev',
        'skipped device node "dev/sda": layers do not carry devices; the runtime provides /dev',
        'skipped FIFO "run/fifo"',
        'skipped "../evil": the path leaves the root',
        'skipped hard link "link": "missing" is not a file of the tarball',
      ]);
      const entries = await layerEntries(image.layer.path);
      expect(entries.map((e) => [e.entry.path, e.entry.uid, e.text])).toEqual([['kept', 1000, 'ok']]);
      const config = JSON.parse(image.config.bytes.toString()) as Record<string, unknown>;
      expect(config).toMatchObject({ architecture: 'arm64', variant: 'v8', created: '1970-01-01T00:00:10Z', history: [{ created_by: 'nocker import', comment: 'odd' }] });
    } finally {
      await image.dispose();
    }
  });

  it('rejects a file that is not a tarball', async () => {
    await writeFile(join(dir, 'junk.tar'), Buffer.alloc(1024, 'x'));
    await expect(importRootfs(join(dir, 'junk.tar'), { platform, sourceDateEpoch: 0 })).rejects.toThrow('checksum');
    expect((await readFile(join(dir, 'junk.tar'))).length).toBe(1024);
  });
});

describe('parsePlatform', () => {
  it('reads os/arch[/variant]', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(() => parsePlatform('amd64')).toThrow('not a platform');
    expect(() => parsePlatform('linux/')).toThrow('not a platform');
  });
});
