/**
 * The embedded database may be opened by one process only. The Hub records itself in
 * `<dataDir>/hub.lock` (pid and URL) so that a second Hub refuses to start on the same data and
 * `nocker hub gc` knows to ask the running Hub instead.
 */
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  url?: string;
}

export interface DataDirLock {
  /** Records the URL once the Hub listens. */
  setUrl(url: string): Promise<void>;
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
  const record = (data: LockOwner) => writeFile(path, JSON.stringify(data));
  // A stale file from a crashed Hub is simply replaced.
  await rm(path, { force: true });
  const handle = await open(path, 'wx');
  await handle.writeFile(JSON.stringify({ pid: process.pid }));
  await handle.close();
  return {
    setUrl: (url) => record({ pid: process.pid, url }),
    release: () => rm(path, { force: true }),
  };
}
