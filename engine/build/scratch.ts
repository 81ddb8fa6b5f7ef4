/**
 * Names for a build's scratch files and directories that say which process made them, so that
 * what a killed build left behind can be told from what a running one is using.
 */
import { randomBytes } from 'node:crypto';

/**
 * A name for a scratch file or directory of this process: `<kind>-<pid>-<time>-<random>`.
 *
 * @example
 * scratchName('bundle'); // 'bundle-4242-1732780800000-9f2c1a0b'
 */
export function scratchName(kind: string): string {
  return `${kind}-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
}

/**
 * True when a process with this id exists (signal 0 checks without sending anything).
 *
 * @example
 * processAlive(process.pid); // true
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `name` is a {@link scratchName} of a process that is no longer running.
 *
 * @example
 * leftByEndedProcess(scratchName('log')); // false: this process runs
 */
export function leftByEndedProcess(name: string): boolean {
  const pid = Number(/^[a-z]+-(\d+)-\d+-[0-9a-f]+/.exec(name)?.[1]);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
}
