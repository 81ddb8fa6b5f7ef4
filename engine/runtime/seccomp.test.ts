import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleConfig, chooseRuntime, runContainer } from '../build/runtime.ts';
import { BUSYBOX, skipRunSteps } from '../build/testing.ts';
import { convertDockerSeccomp, DEFAULT_SECCOMP_PROFILE, loadDefaultSeccomp, type OciSeccomp } from './seccomp.ts';

/** The capabilities Docker gives a container by default. */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const X86_64 = { arch: 'x64', kernel: '6.1.0-18-amd64' };

/** The action the filter takes for `name` called with no argument conditions in play: its first unconditional rule, else the default. */
function actionFor(seccomp: OciSeccomp, name: string): string {
  const rule = seccomp.syscalls.find((r) => r.names.includes(name) && !r.args);
  return rule?.action ?? seccomp.defaultAction;
}

/** A profile in Docker's format: deny by default, plus the given rules. */
function profile(syscalls: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls,
    ...extra,
  };
}

describe('convertDockerSeccomp', () => {
  it('keeps the default action and errno, and the host architecture with its sub-architectures', () => {
    const x86 = convertDockerSeccomp(profile([]), { capabilities: [], ...X86_64 });
    expect(x86).toEqual({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [] });
    const arm = convertDockerSeccomp(profile([]), { capabilities: [], arch: 'arm64', kernel: '6.1' });
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    // Not in the archMap: no list, so the runtime filters the native architecture only.
    expect(convertDockerSeccomp(profile([]), { capabilities: [], arch: 's390x', kernel: '6.1' }).architectures).toEqual([]);
  });

  it('takes a plain architectures list when there is no archMap, and refuses both', () => {
    const listed = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [] };
    expect(convertDockerSeccomp(listed, { capabilities: [], ...X86_64 }).architectures).toEqual(['SCMP_ARCH_X86_64']);
    expect(() => convertDockerSeccomp(profile([], { architectures: ['SCMP_ARCH_X86_64'] }), { capabilities: [], ...X86_64 })).toThrow(/both "architectures" and "archMap"/);
  });

  it('keeps a rule with includes.caps only when every listed capability is held', () => {
    const rules = profile([{ names: ['mount', 'umount2'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_SYS_CHROOT'] } }]);
    expect(convertDockerSeccomp(rules, { capabilities: ['CAP_SYS_ADMIN'], ...X86_64 }).syscalls).toEqual([]);
    expect(convertDockerSeccomp(rules, { capabilities: ['CAP_SYS_ADMIN', 'CAP_SYS_CHROOT', 'CAP_KILL'], ...X86_64 }).syscalls).toEqual([
      { names: ['mount', 'umount2'], action: 'SCMP_ACT_ALLOW' },
    ]);
  });

  it('drops a rule with excludes.caps when any listed capability is held', () => {
    const rules = profile([{ names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN', 'CAP_BPF'] } }]);
    expect(convertDockerSeccomp(rules, { capabilities: ['CAP_CHOWN'], ...X86_64 }).syscalls).toEqual([{ names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]);
    expect(convertDockerSeccomp(rules, { capabilities: ['CAP_BPF'], ...X86_64 }).syscalls).toEqual([]);
  });

  it('matches includes.arches and excludes.arches against the host architecture as Go names it', () => {
    const rules = profile([
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
      { names: ['set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
      { names: ['ioperm'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['arm64'] } },
    ]);
    const names = (arch: string) => convertDockerSeccomp(rules, { capabilities: [], arch, kernel: '6.1' }).syscalls.flatMap((r) => r.names);
    expect(names('x64')).toEqual(['arch_prctl', 'ioperm']);
    expect(names('amd64')).toEqual(['arch_prctl', 'ioperm']);
    expect(names('arm64')).toEqual(['set_tls']);
    expect(() => names('pdp11')).toThrow(/architecture "pdp11" is not supported/);
  });

  it('keeps a rule with includes.minKernel only on that kernel or newer, comparing major.minor numerically', () => {
    const rules = profile([{ names: ['clone3'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.10' } }]);
    const kept = (kernel: string) => convertDockerSeccomp(rules, { capabilities: [], arch: 'x64', kernel }).syscalls.length === 1;
    expect(kept('5.9.0-1-amd64')).toBe(false);
    expect(kept('5.10.0-28-amd64')).toBe(true);
    expect(kept('5.15.0')).toBe(true);
    expect(kept('6.1.0')).toBe(true);
    expect(kept('4.19.0')).toBe(false);
    expect(() => kept('unknown')).toThrow(/kernel release "unknown" is not a kernel version/);
  });

  it('needs every condition of a rule to hold at once', () => {
    const rules = profile([{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'], arches: ['amd64'], minKernel: '5.0' }, excludes: { caps: ['CAP_BPF'] } }]);
    const kept = (capabilities: string[], arch: string, kernel: string) => convertDockerSeccomp(rules, { capabilities, arch, kernel }).syscalls.length === 1;
    expect(kept(['CAP_SYS_ADMIN'], 'x64', '5.4')).toBe(true);
    expect(kept([], 'x64', '5.4')).toBe(false);
    expect(kept(['CAP_SYS_ADMIN'], 'arm64', '5.4')).toBe(false);
    expect(kept(['CAP_SYS_ADMIN'], 'x64', '4.19')).toBe(false);
    expect(kept(['CAP_SYS_ADMIN', 'CAP_BPF'], 'x64', '5.4')).toBe(false);
  });

  it('carries args and errnoRet, drops comments, empty args and errno names, and resolves an errno name given alone', () => {
    const rules = profile([
      {
        names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, errno: 'EINVAL', comment: 'no audit sockets',
        args: [{ index: 0, value: 16, valueTwo: 0, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }],
      },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }], includes: {}, excludes: {} },
      { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [], comment: '' },
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: null },
      { names: ['vmsplice'], action: 'SCMP_ACT_ERRNO', errno: 'EPERM' },
      { name: 'kill', action: 'SCMP_ACT_ALLOW' },
    ], { defaultErrnoRet: undefined, defaultErrno: 'ENOSYS' });
    const seccomp = convertDockerSeccomp(rules, { capabilities: [], ...X86_64 });
    expect(seccomp.defaultErrnoRet).toBe(38);
    expect(seccomp.syscalls).toEqual([
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 16, valueTwo: 0, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] },
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['vmsplice'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['kill'], action: 'SCMP_ACT_ALLOW' },
    ]);
  });

  it('passes flags and the notify listener through', () => {
    const rules = profile([], { flags: ['SECCOMP_FILTER_FLAG_LOG'], listenerPath: '/run/seccomp.sock', listenerMetadata: 'nocker' });
    expect(convertDockerSeccomp(rules, { capabilities: [], ...X86_64 })).toMatchObject({ flags: ['SECCOMP_FILTER_FLAG_LOG'], listenerPath: '/run/seccomp.sock', listenerMetadata: 'nocker' });
  });

  it('does not share arrays with the profile it read', () => {
    const rules = profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }]);
    const seccomp = convertDockerSeccomp(rules, { capabilities: [], ...X86_64 });
    seccomp.syscalls[0]?.names.push('write');
    expect(convertDockerSeccomp(rules, { capabilities: [], ...X86_64 }).syscalls[0]?.names).toEqual(['read']);
  });

  it('throws naming the faulty field of a malformed profile', () => {
    const convert = (value: unknown) => () => convertDockerSeccomp(value, { capabilities: [], ...X86_64 });
    expect(convert([])).toThrow(/top level must be a JSON object/);
    expect(convert(profile([], { defaultAction: 'SCMP_ACT_MAYBE' }))).toThrow(/defaultAction must be one of/);
    expect(convert(profile([], { syscalls: {} }))).toThrow(/syscalls must be a list/);
    expect(convert(profile([], { archMap: [{ subArchitectures: [] }] }))).toThrow(/archMap\[0\] must be an object with an "architecture" string/);
    expect(convert(profile([{ names: 'read', action: 'SCMP_ACT_ALLOW' }]))).toThrow(/syscalls\[0\]\.names must be a list of strings/);
    expect(convert(profile([{ names: [], action: 'SCMP_ACT_ALLOW' }]))).toThrow(/syscalls\[0\]\.names must name at least one syscall/);
    expect(convert(profile([{ names: ['read'], action: 'ALLOW' }]))).toThrow(/syscalls\[0\]\.action must be one of/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }]))).toThrow(/syscalls\[0\]\.errnoRet must be a non-negative integer/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ERRNO', errno: 'ENOTANERRNO' }]))).toThrow(/syscalls\[0\]\.errno is not a known errno name/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }]))).toThrow(/syscalls\[0\]\.args\[0\]\.index must be 0 to 5/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'EQ' }] }]))).toThrow(/syscalls\[0\]\.args\[0\]\.op must be one of/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }]))).toThrow(/args\[0\]\.value must be a non-negative integer/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { caps: 'CAP_SYS_ADMIN' } }]))).toThrow(/syscalls\[0\]\.includes\.caps must be a list of strings/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'five' } }]))).toThrow(/syscalls\[0\]\.includes\.minKernel "five" is not a kernel version/);
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', excludes: [] }]))).toThrow(/syscalls\[0\]\.excludes must be an object/);
    // Even a rule that would not apply to this container is checked.
    expect(convert(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: 3, includes: { arches: ['arm64'] } }]))).toThrow(/syscalls\[0\]\.args must be a list/);
  });
});

describe('loadDefaultSeccomp', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocker-seccomp-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says which package to install when the profile is missing', async () => {
    await expect(loadDefaultSeccomp(DOCKER_CAPS, join(dir, 'seccomp.json'))).rejects.toThrow(/golang-github-containers-common.*apt-get install golang-github-containers-common/);
  });

  it('names the file when it is not JSON or not a profile', async () => {
    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{"defaultAction": ');
    await expect(loadDefaultSeccomp(DOCKER_CAPS, notJson)).rejects.toThrow(`${notJson}: not valid JSON`);
    const notProfile = join(dir, 'wrong.json');
    await writeFile(notProfile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ALLOW' }] }));
    await expect(loadDefaultSeccomp(DOCKER_CAPS, notProfile)).rejects.toThrow(`${notProfile}: seccomp profile: syscalls[0].names must name at least one syscall`);
  });

  it('reads a file once and converts it for each capability set; a missing file is looked for again', async () => {
    const path = join(dir, 'cached.json');
    await expect(loadDefaultSeccomp([], path)).rejects.toThrow(/missing/);
    await writeFile(path, JSON.stringify(profile([{ names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } }])));
    expect((await loadDefaultSeccomp([], path)).syscalls).toEqual([]);
    await writeFile(path, 'changed, and no longer JSON');
    expect((await loadDefaultSeccomp(['CAP_SYS_ADMIN'], path)).syscalls).toEqual([{ names: ['mount'], action: 'SCMP_ACT_ALLOW' }]);
  });
});

/** Skips (saying why) when containers-common's profile is absent, unless CI requires it. */
function skipWithoutProfile(): boolean {
  if (existsSync(DEFAULT_SECCOMP_PROFILE) || process.env.NOCKER_TEST_REQUIRE_RUNTIME === '1') return false;
  process.stderr.write(`skipping default seccomp profile tests: no ${DEFAULT_SECCOMP_PROFILE} (apt-get install golang-github-containers-common)\n`);
  return true;
}

describe.skipIf(skipWithoutProfile())('the containers-common profile', () => {
  it('converts for this host with its own default errno and architectures', async () => {
    const seccomp = await loadDefaultSeccomp(DOCKER_CAPS);
    expect(seccomp.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(seccomp.architectures.length).toBeGreaterThan(0);
    expect(JSON.stringify(seccomp)).not.toMatch(/"(comment|errno|includes|excludes)"/);
  });

  it('allows read, and mount with CAP_SYS_ADMIN', async () => {
    expect(actionFor(await loadDefaultSeccomp(DOCKER_CAPS), 'read')).toBe('SCMP_ACT_ALLOW');
    expect(actionFor(await loadDefaultSeccomp([...DOCKER_CAPS, 'CAP_SYS_ADMIN']), 'mount')).toBe('SCMP_ACT_ALLOW');
  });

  it('denies what Docker denies without the capability: bpf without CAP_SYS_ADMIN, clock_settime without CAP_SYS_TIME', async () => {
    const seccomp = await loadDefaultSeccomp(DOCKER_CAPS);
    expect(actionFor(seccomp, 'bpf')).toBe('SCMP_ACT_ERRNO');
    expect(actionFor(seccomp, 'clock_settime')).toBe('SCMP_ACT_ERRNO');
    expect(actionFor(seccomp, 'chroot')).toBe('SCMP_ACT_ALLOW');
    const admin = await loadDefaultSeccomp([...DOCKER_CAPS, 'CAP_SYS_ADMIN']);
    expect(actionFor(admin, 'bpf')).toBe('SCMP_ACT_ALLOW');
  });

  it('takes back what the packaged profile allows but Docker gates on a capability: mount, unshare, setns, ptrace', async () => {
    // containers-common's profile allows these to everyone; Moby's only with the capability.
    const packaged = convertDockerSeccomp(JSON.parse(await readFile(DEFAULT_SECCOMP_PROFILE, 'utf8')), { capabilities: DOCKER_CAPS });
    expect(actionFor(packaged, 'unshare')).toBe('SCMP_ACT_ALLOW');
    const seccomp = await loadDefaultSeccomp(DOCKER_CAPS);
    for (const name of ['mount', 'unshare', 'setns', 'ptrace', 'keyctl']) expect(actionFor(seccomp, name)).toBe('SCMP_ACT_ERRNO');
    expect(actionFor(await loadDefaultSeccomp([...DOCKER_CAPS, 'CAP_SYS_ADMIN']), 'unshare')).toBe('SCMP_ACT_ALLOW');
  });
});

describe.skipIf(skipRunSteps() || skipWithoutProfile())('the converted profile in a container', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocker-seccomp-run-'));
    await mkdir(join(dir, 'rootfs/bin'), { recursive: true });
    await mkdir(join(dir, 'rootfs/mnt'), { recursive: true });
    await copyFile(BUSYBOX, join(dir, 'rootfs/bin/busybox'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs busybox with `args` under `seccomp`, holding Docker's default capabilities; its exit code and output. */
  async function runBusybox(seccomp: OciSeccomp, args: string[]): Promise<{ exitCode: number; output: string }> {
    const config = bundleConfig({ args: ['/bin/busybox', ...args], env: ['PATH=/bin'], cwd: '/', network: 'none' });
    (config.linux as Record<string, unknown>).seccomp = seccomp;
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const id = `nocker-seccomp-test-${process.pid}-${Date.now()}`;
    const { exitCode, tail } = await runContainer(chooseRuntime(process.env), dir, id, () => {});
    return { exitCode, output: tail.join('\n') };
  }

  it('runs echo and refuses mount', async () => {
    const seccomp = await loadDefaultSeccomp(DOCKER_CAPS);
    expect(await runBusybox(seccomp, ['echo', 'ok'])).toEqual({ exitCode: 0, output: 'ok' });
    const mount = await runBusybox(seccomp, ['mount', '-t', 'tmpfs', 'x', '/mnt']);
    expect(mount.exitCode).not.toBe(0);
    expect(mount.output).toMatch(/permission denied|not permitted/i);
  });

  it('is enforced: chroot is refused when the filter was made for a set without CAP_SYS_CHROOT', async () => {
    // The container holds CAP_SYS_CHROOT either way, so only the filter can refuse the call.
    const allowed = await loadDefaultSeccomp(DOCKER_CAPS);
    expect(await runBusybox(allowed, ['chroot', '/', '/bin/busybox', 'echo', 'inside'])).toEqual({ exitCode: 0, output: 'inside' });
    const refused = await loadDefaultSeccomp(DOCKER_CAPS.filter((cap) => cap !== 'CAP_SYS_CHROOT'));
    const run = await runBusybox(refused, ['chroot', '/', '/bin/busybox', 'echo', 'inside']);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toMatch(/not permitted/i);
  });
});
