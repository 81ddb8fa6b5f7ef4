/**
 * `Nockerfile.lock`: the digest each base image reference resolved to, and the tag and digest
 * each dependency resolved to, so that later builds use the same ones until asked to update.
 * Stored beside the Nockerfile as canonical JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalJson } from '../image/canonical-json.ts';

/** The lock file's name. */
export const LOCK_FILE = 'Nockerfile.lock';

/** A dependency as pinned: its reference as written (qualified with its Hub), the tag it resolved to, the digest. */
export interface LockedDependency {
  /** `host/name:RANGE`, `host/name:TAG` or `host/name@sha256:…`. */
  ref: string;
  /** The tag the range resolved to; absent for a digest pin. */
  tag?: string;
  digest: string;
}

/**
 * What the lock records: base references (`host/name:tag`) and their manifest digests, and the
 * dependencies (`build.dependencies`) with the tag and digest each resolved to.
 */
export interface Lock {
  version: 1;
  bases: Record<string, string>;
  /** Sorted by `ref`; absent (or empty) when the build has none. */
  dependencies?: LockedDependency[];
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
  if (typeof bases !== 'object' || bases === null || Object.values(bases).some((d) => !isDigest(d))) {
    throw new Error(`${path} is not a Nockerfile lock: expected {"version":1,"bases":{"REF":"sha256:…"}}`);
  }
  const dependencies = (value as { dependencies?: unknown }).dependencies;
  if (dependencies === undefined) return { version: 1, bases: bases as Record<string, string> };
  if (!Array.isArray(dependencies) || !dependencies.every(isLockedDependency)) {
    throw new Error(`${path} is not a Nockerfile lock: expected "dependencies" to be a list of {"ref":"HOST/NAME:RANGE","tag":"TAG","digest":"sha256:…"}`);
  }
  return { version: 1, bases: bases as Record<string, string>, dependencies };
}

const isDigest = (d: unknown): d is string => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d);

function isLockedDependency(entry: unknown): entry is LockedDependency {
  if (typeof entry !== 'object' || entry === null) return false;
  const { ref, tag, digest } = entry as Record<string, unknown>;
  return typeof ref === 'string' && ref !== '' && (tag === undefined || typeof tag === 'string') && isDigest(digest);
}

/**
 * Writes a lock file deterministically (sorted keys, one trailing newline); resolves to whether
 * the file changed.
 *
 * @example
 * await writeLock('/src/app/Nockerfile.lock', { version: 1, bases: { '127.0.0.1:5000/base/alpine:3.20': 'sha256:…' } });
 */
export async function writeLock(path: string, lock: Lock): Promise<boolean> {
  // Sorted, so that the file does not change with the order of build.dependencies; left out when
  // empty, so that a lock without dependencies reads as it always has.
  const dependencies = [...(lock.dependencies ?? [])]
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))
    .map((d) => ({ ref: d.ref, ...(d.tag === undefined ? {} : { tag: d.tag }), digest: d.digest }));
  const text = `${canonicalJson({ version: lock.version, bases: lock.bases, ...(dependencies.length > 0 ? { dependencies } : {}) })}\n`;
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
