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
});
