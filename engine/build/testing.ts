/**
 * Helpers for tests of `run` steps (not itself a test file): whether this machine can run them
 * (root, an OCI runtime, a statically linked busybox to put in images), and busybox trees.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { openSync, readSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chooseRuntime } from './runtime.ts';

/** Debian's busybox-static puts its binary here. */
export const BUSYBOX = '/bin/busybox';

/** True when the ELF file at `path` has no program interpreter: it runs in an empty root. */
export function isStaticExecutable(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false; // ELF, 64-bit
    const programHeaders = Number(header.readBigUInt64LE(0x20));
    const entrySize = header.readUInt16LE(0x36);
    const count = header.readUInt16LE(0x38);
    const entry = Buffer.alloc(4);
    for (let i = 0; i < count; i++) {
      readSync(fd, entry, 0, 4, programHeaders + i * entrySize);
      if (entry.readUInt32LE(0) === 3) return false; // PT_INTERP: needs a dynamic loader
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Why `run` steps cannot be tested here, or undefined when they can. CI sets
 * `NOCKER_TEST_REQUIRE_RUNTIME=1` and installs what they need, so that there they fail instead
 * of being skipped.
 */
export function runStepsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'run steps need root';
  try {
    chooseRuntime(process.env);
  } catch (err) {
    return (err as Error).message;
  }
  if (!existsSync(BUSYBOX) || !isStaticExecutable(BUSYBOX)) return `no statically linked ${BUSYBOX} (apt install busybox-static)`;
  return undefined;
}

/** True when tests of run steps should be skipped: unavailable here and not required. */
export function skipRunSteps(): boolean {
  const reason = runStepsUnavailable();
  if (reason === undefined) return false;
  if (process.env.NOCKER_TEST_REQUIRE_RUNTIME === '1') return false;
  process.stderr.write(`skipping run step tests: ${reason}\n`);
  return true;
}

/**
 * Writes a busybox root filesystem into `root`: `bin/busybox`, `bin/sh` and a few applets as
 * links to it, `etc/os-release` and `etc/motd`.
 */
export async function writeBusyboxTree(root: string): Promise<void> {
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await copyFile(BUSYBOX, join(root, 'bin/busybox'));
  for (const applet of ['sh', 'ls', 'cat', 'echo', 'rm', 'mkdir', 'pwd', 'id']) await symlink('busybox', join(root, 'bin', applet));
  await writeFile(join(root, 'etc/os-release'), 'NAME=busybox\nID=busybox\n');
  await writeFile(join(root, 'etc/motd'), 'built by a test\n');
}

/** A gzipped busybox root filesystem tarball at `path` (for `nocker import`), made in `work`. */
export async function writeBusyboxTarball(work: string, path: string): Promise<void> {
  const root = join(work, 'busybox-rootfs');
  await writeBusyboxTree(root);
  execFileSync('tar', ['-czf', path, '-C', root, '.']);
}
