/**
 * The embedded database may be opened by one process only. The Hub records itself in
 * `<dataDir>/hub.lock` (pid, URL and an operator secret) so that a second Hub refuses to start on
 * the same data and `nocker hub gc` knows to ask the running Hub instead. Whoever can read the
 * data directory owns the data anyway: the secret, readable by the owner alone, proves that.
 */
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  url?: string;
  /** Sent back in the `Nocker-Operator` header, it lets a local operator command act as administrator. */
  operatorSecret?: string;
}

export interface DataDirLock {
  /** Records the URL (and the operator secret) once the Hub listens. */
  setUrl(url: string, operatorSecret?: string): Promise<void>;
  release(): Promise<void>;
}

const lockPath = (dataDir: string) => join(dataDir, 'hub.lock');

/** The live process holding the data dir, if any (a lock left by a dead process is ignored). */
export async function lockOwner(dataDir: string): Promise<LockOwner | undefined> {
  let owner: LockOwner;
  try {
    owner = JSON.parse(await readFile(lockPath(dataDir), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(owner.pid)) return undefined;
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? owner : undefined;
  }
}

/** Takes the lock, or throws naming the process that has it. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  const owner = await lockOwner(dataDir);
  if (owner && owner.pid !== process.pid) {
    throw new Error(`data directory ${dataDir} is in use by process ${owner.pid}${owner.url ? ` (a Hub at ${owner.url})` : ''}`);
  }
  const record = (data: LockOwner) => writeFile(path, JSON.stringify(data), { mode: 0o600 });
  // A stale file from a crashed Hub is simply replaced.
  await rm(path, { force: true });
  const handle = await open(path, 'wx', 0o600);
  await handle.writeFile(JSON.stringify({ pid: process.pid }));
  await handle.close();
  return {
    setUrl: (url, operatorSecret) => record({ pid: process.pid, url, operatorSecret }),
    release: () => rm(path, { force: true }),
  };
}
