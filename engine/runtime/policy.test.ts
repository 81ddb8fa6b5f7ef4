import { describe, expect, it } from 'vitest';
import type { Policies } from '../nockerfile/types.ts';
import { effectivePolicy, formatSize, PolicyViolationError, type RunRequest } from './policy.ts';

const MiB = 1024 * 1024;
const IMAGE: Policies = { security: { level: 'high', network: 'restricted' }, resources: { cpu: 1, memory: 64 * MiB } };

function request(overrides: Partial<RunRequest> = {}): RunRequest {
  return { environment: 'production', publish: [], volumes: [], ...overrides };
}

function violations(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof PolicyViolationError) return err.violations;
    throw err;
  }
  return [];
}

describe('effectivePolicy', () => {
  it('keeps the image policies in production, with signatures required', () => {
    const policy = effectivePolicy(IMAGE, request(), [3000]);
    expect(policy).toMatchObject({ security: 'high', network: 'restricted', memory: 64 * MiB, cpu: 1, pids: 1024, signaturesRequired: true, throwaway: false });
  });

  it('lets the command line tighten production', () => {
    const policy = effectivePolicy(IMAGE, request({ memory: 32 * MiB, cpus: 0.5, network: 'none' }), [3000]);
    expect(policy).toMatchObject({ memory: 32 * MiB, cpu: 0.5, network: 'none' });
  });

  it('refuses every loosening in production and names each', () => {
    const found = violations(() =>
      effectivePolicy(IMAGE, request({ memory: 128 * MiB, cpus: 2, network: 'host', security: 'low', user: '0', volumes: [{ source: '/src', destination: '/app', readonly: false }], publish: [{ hostIp: '127.0.0.1', hostPort: 2222, containerPort: 22, protocol: 'tcp' }] }), [3000]),
    );
    expect(found).toEqual([
      '--security low is looser than the policy\'s high',
      '--network host is more open than the policy\'s restricted',
      '--memory 128 MiB is more than the policy\'s 64 MiB',
      '--cpus 2 is more than the policy\'s 1',
      '--user 0 runs as root, which high security does not allow',
      'bind mounts (-v) are allowed in the development environment only',
      '-p publishes port 22, which the image does not declare',
    ]);
  });

  it('says which environment refused in its message', () => {
    expect(() => effectivePolicy(IMAGE, request({ memory: 1024 * MiB }), [])).toThrow(/^the production policy does not allow this: --memory 1 GiB is more than the policy's 64 MiB$/);
  });

  it('publishes declared ports in production', () => {
    const publish = [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 3000, protocol: 'tcp' as const }];
    expect(effectivePolicy(IMAGE, request({ publish }), [3000]).publish).toEqual(publish);
  });

  it('refuses published ports on no network', () => {
    const publish = [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 3000, protocol: 'tcp' as const }];
    expect(violations(() => effectivePolicy(IMAGE, request({ publish, environment: 'testing' }), [3000]))).toEqual(['-p publishes ports, but the network is none (no port is reachable)']);
  });

  it('runs development at low security with bind mounts and no signatures required', () => {
    const volumes = [{ source: '/src', destination: '/app', readonly: false }];
    const policy = effectivePolicy(IMAGE, request({ environment: 'development', volumes, memory: 1024 * MiB, network: 'host' }), []);
    expect(policy).toMatchObject({ security: 'low', network: 'host', memory: 1024 * MiB, signaturesRequired: false, volumes });
  });

  it('runs testing without network and throws the container away', () => {
    expect(effectivePolicy(IMAGE, request({ environment: 'testing' }), [])).toMatchObject({ network: 'none', throwaway: true, signaturesRequired: false, security: 'high' });
  });

  it('gives embedded the tightest limits', () => {
    const loose: Policies = { security: { level: 'low', network: 'host' }, resources: { memory: 1024 * MiB } };
    expect(effectivePolicy(loose, request({ environment: 'embedded' }), [])).toMatchObject({ security: 'high', network: 'none', memory: 64 * MiB, cpu: 0.5, pids: 64, signaturesRequired: true });
  });

  it('treats a custom environment as strictly as production', () => {
    expect(violations(() => effectivePolicy(IMAGE, request({ environment: 'staging', security: 'medium' }), []))).toEqual(['--security medium is looser than the policy\'s high']);
  });

  it('gives an image without policies medium security on a restricted network', () => {
    expect(effectivePolicy(undefined, request(), [])).toMatchObject({ security: 'medium', network: 'restricted', memory: undefined, cpu: undefined });
  });
});

describe('formatSize', () => {
  it('uses the units the size divides into', () => {
    expect(formatSize(64 * MiB)).toBe('64 MiB');
    expect(formatSize(64_000_000)).toBe('64 MB');
    expect(formatSize(2 * 1024 * MiB)).toBe('2 GiB');
    expect(formatSize(100)).toBe('100 bytes');
    expect(formatSize(1_500_001)).toBe('1.4 MiB');
  });
});
