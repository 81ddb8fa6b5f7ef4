/**
 * `Nockerfile.lock`: the digest each base image reference resolved to, so that later builds use
 * the same base until asked to update. Stored beside the Nockerfile as canonical JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalJson } from '../image/canonical-json.ts';

/** The lock file's name. */
export const LOCK_FILE = 'Nockerfile.lock';

/** What the lock records: base references (`host/name:tag`) and their manifest digests. */
export interface Lock {
  version: 1;
  bases: Record<string, string>;
}

/**
 * The lock file beside a Nockerfile.
 *
 * @example
 * lockPath('/src/app/Nockerfile.yml'); // '/src/app/Nockerfile.lock'
 */
export function lockPath(nockerfile: string): string {
  return join(dirname(nockerfile), LOCK_FILE);
}

/**
 * Reads a lock file; an empty lock when there is none. Throws on a file that is not a lock.
 *
 * @example
 * (await readLock('/src/app/Nockerfile.lock')).bases['127.0.0.1:5000/base/alpine:3.20']; // 'sha256:…'
 */
export async function readLock(path: string): Promise<Lock> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, bases: {} };
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; delete it or build with --update`);
  }
  const bases = (value as { bases?: unknown } | null)?.bases;
  if (typeof bases !== 'object' || bases === null || Object.values(bases).some((d) => typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d))) {
    throw new Error(`${path} is not a Nockerfile lock: expected {"version":1,"bases":{"REF":"sha256:…"}}`);
  }
  return { version: 1, bases: bases as Record<string, string> };
}

/**
 * Writes a lock file deterministically (sorted keys, one trailing newline); resolves to whether
 * the file changed.
 *
 * @example
 * await writeLock('/src/app/Nockerfile.lock', { version: 1, bases: { '127.0.0.1:5000/base/alpine:3.20': 'sha256:…' } });
 */
export async function writeLock(path: string, lock: Lock): Promise<boolean> {
  const text = `${canonicalJson({ version: lock.version, bases: lock.bases })}\n`;
  let before: string | undefined;
  try {
    before = await readFile(path, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === text) return false;
  await writeFile(path, text);
  return true;
}
