import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPath, readLock, writeLock } from './lock.ts';

const digest = `sha256:${'a'.repeat(64)}`;

describe('Nockerfile.lock', () => {
  it('sits beside the Nockerfile, is empty when missing, and round-trips deterministically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocker-lock-'));
    try {
      const path = lockPath(join(dir, 'Nockerfile.yml'));
      expect(path).toBe(join(dir, 'Nockerfile.lock'));
      expect(await readLock(path)).toEqual({ version: 1, bases: {} });
      expect(await writeLock(path, { version: 1, bases: { 'h:1/b/z:1': digest, 'h:1/b/a:1': digest } })).toBe(true);
      expect(await readFile(path, 'utf8')).toBe(`{"bases":{"h:1/b/a:1":"${digest}","h:1/b/z:1":"${digest}"},"version":1}\n`);
      expect(await writeLock(path, await readLock(path))).toBe(false);
      await writeFile(path, '{"bases":{"x":"latest"}}');
      await expect(readLock(path)).rejects.toThrow('is not a Nockerfile lock');
      await writeFile(path, 'nope');
      await expect(readLock(path)).rejects.toThrow('not valid JSON');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps dependencies sorted by reference, leaves them out when there are none, and refuses malformed ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocker-lock-'));
    try {
      const path = join(dir, 'Nockerfile.lock');
      const lock = {
        version: 1 as const,
        bases: {},
        dependencies: [
          { ref: 'h:1/libs/z:^1.2', tag: '1.2.5', digest },
          { ref: `h:1/libs/a@${digest}`, digest },
        ],
      };
      expect(await writeLock(path, lock)).toBe(true);
      expect(await readFile(path, 'utf8')).toBe(`{"bases":{},"dependencies":[{"digest":"${digest}","ref":"h:1/libs/a@${digest}"},{"digest":"${digest}","ref":"h:1/libs/z:^1.2","tag":"1.2.5"}],"version":1}\n`);
      expect(await readLock(path)).toEqual({ ...lock, dependencies: [lock.dependencies[1], lock.dependencies[0]] });
      expect(await writeLock(path, { ...lock, dependencies: [...lock.dependencies].reverse() })).toBe(false);
      await writeLock(path, { version: 1, bases: {}, dependencies: [] });
      expect(await readFile(path, 'utf8')).toBe('{"bases":{},"version":1}\n');
      await writeFile(path, '{"bases":{},"dependencies":[{"ref":"x","digest":"latest"}],"version":1}');
      await expect(readLock(path)).rejects.toThrow('expected "dependencies" to be a list');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
