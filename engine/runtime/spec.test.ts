import { describe, expect, it } from 'vitest';
import type { EffectivePolicy } from './policy.ts';
import { CPU_PERIOD, mergeEnvironment, processArgs, runtimeSpec, type SpecInput } from './spec.ts';

const ID = 'a'.repeat(64);
const SECCOMP = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };

function policy(overrides: Partial<EffectivePolicy> = {}): EffectivePolicy {
  return { environment: 'production', security: 'medium', network: 'restricted', pids: 1024, signaturesRequired: true, throwaway: false, publish: [], volumes: [], ...overrides };
}

function spec(overrides: Partial<SpecInput> = {}) {
  const input: SpecInput = { id: ID, image: { Env: ['PATH=/bin', 'A=1'], WorkingDir: '/app' }, policy: policy(), args: ['/bin/sh'], env: [], user: { uid: 1000, gid: 1000, additionalGids: [] }, seccomp: SECCOMP as never, swapAccounted: true, ...overrides };
  return runtimeSpec(input) as { process: Record<string, unknown> & { capabilities: { bounding: string[] } }; root: { readonly: boolean }; mounts: { destination: string; options?: string[] }[]; linux: Record<string, unknown> & { namespaces: { type: string }[]; resources: Record<string, unknown> } };
}

describe('processArgs', () => {
  it('puts the command after the entrypoint, or the image Cmd when none is given', () => {
    expect(processArgs({ Entrypoint: ['/bin/app'], Cmd: ['--help'] }, ['serve'])).toEqual(['/bin/app', 'serve']);
    expect(processArgs({ Entrypoint: ['/bin/app'], Cmd: ['--help'] }, [])).toEqual(['/bin/app', '--help']);
    expect(processArgs({ Cmd: ['/bin/sh'] }, ['echo', 'hi'])).toEqual(['echo', 'hi']);
  });

  it('refuses an image with nothing to run', () => {
    expect(() => processArgs({}, [])).toThrow(/the image has no command/);
  });
});

describe('mergeEnvironment', () => {
  it('lets later lists win by key and defaults PATH', () => {
    expect(mergeEnvironment(['A=1', 'B=2'], ['A=3'])).toEqual(['A=3', 'B=2', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(mergeEnvironment(['PATH=/bin'])).toEqual(['PATH=/bin']);
  });
});

describe('runtimeSpec', () => {
  it('turns resources into cgroup limits under nocker/<id>', () => {
    const config = spec({ policy: policy({ memory: 64 << 20, cpu: 1.5, pids: 64 }) });
    expect(config.linux.cgroupsPath).toBe(`nocker/${ID}`);
    expect(config.linux.resources).toMatchObject({ memory: { limit: 64 << 20, swap: 64 << 20 }, cpu: { quota: 150_000, period: CPU_PERIOD }, pids: { limit: 64 } });
    expect(spec({ policy: policy({ memory: 64 << 20 }), swapAccounted: false }).linux.resources.memory).toEqual({ limit: 64 << 20 });
  });

  it('gives high security a read-only root, a tmpfs /tmp, no capabilities, seccomp and no_new_privileges', () => {
    const config = spec({ policy: policy({ security: 'high' }) });
    expect(config.root.readonly).toBe(true);
    expect(config.mounts.map((m) => m.destination)).toContain('/tmp');
    expect(config.process.capabilities.bounding).toEqual([]);
    expect(config.process.noNewPrivileges).toBe(true);
    expect(config.linux.seccomp).toEqual(SECCOMP);
    expect(config.linux.maskedPaths).toContain('/proc/kcore');
  });

  it('gives medium Docker\'s capabilities with seccomp on a writable root', () => {
    const config = spec();
    expect(config.root.readonly).toBe(false);
    expect(config.process.capabilities.bounding).toContain('CAP_CHOWN');
    expect(config.process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(config.linux.seccomp).toBeDefined();
    expect(config.process.noNewPrivileges).toBe(true);
  });

  it('gives low Docker\'s capabilities without seccomp, still never privileged', () => {
    const config = spec({ policy: policy({ security: 'low' }), seccomp: undefined });
    expect(config.linux.seccomp).toBeUndefined();
    expect(config.process.noNewPrivileges).toBe(false);
    expect(config.process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(config.linux.readonlyPaths).toContain('/proc/sys');
  });

  it('refuses medium or high security without a seccomp profile', () => {
    expect(() => spec({ seccomp: undefined })).toThrow(/needs a seccomp profile/);
  });

  it('gives the container a network namespace of its own unless the network is host', () => {
    expect(spec({ policy: policy({ network: 'none' }) }).linux.namespaces).toContainEqual({ type: 'network' });
    expect(spec({ policy: policy({ network: 'restricted' }) }).linux.namespaces).toContainEqual({ type: 'network' });
    expect(spec({ policy: policy({ network: 'host' }) }).linux.namespaces).not.toContainEqual({ type: 'network' });
  });

  it('runs the process as the user, in the working directory, with the merged environment', () => {
    const config = spec({ env: ['A=2'], workdir: '/srv' });
    expect(config.process).toMatchObject({ user: { uid: 1000, gid: 1000 }, cwd: '/srv', env: ['PATH=/bin', 'A=2', `HOSTNAME=${ID.slice(0, 12)}`] });
    expect(spec().process.cwd).toBe('/app');
  });

  it('binds volumes read-write or read-only', () => {
    const config = spec({ policy: policy({ volumes: [{ source: '/src', destination: '/app', readonly: false }, { source: '/data', destination: '/data', readonly: true }] }) });
    expect(config.mounts.filter((m) => m.destination === '/app' || m.destination === '/data').map((m) => m.options)).toEqual([['rbind', 'rw'], ['rbind', 'ro']]);
  });
});
