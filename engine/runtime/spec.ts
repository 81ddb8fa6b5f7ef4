/**
 * The OCI runtime spec (`config.json`) of a container: the process from the image config and the
 * command line, the isolation from the effective policy — resources as cgroup limits, the
 * security level as capabilities, seccomp and a read-only root, the network as namespaces.
 */
import { DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, STANDARD_MOUNTS } from '../build/runtime.ts';
import { mergeEnv, type RuntimeConfig } from '../image/config.ts';
import type { EffectivePolicy } from './policy.ts';
import type { OciSeccomp } from './seccomp.ts';
import type { ProcessUser } from './user.ts';

/** The PATH a process gets when the image sets none (Docker's default). */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The CFS period cgroup CPU quotas are counted in, in microseconds. */
export const CPU_PERIOD = 100_000;

/** Everything the spec is made from. */
export interface SpecInput {
  /** The container id: its cgroup is `nocker/<id>`, its hostname the first 12 digits. */
  id: string;
  image: RuntimeConfig;
  policy: EffectivePolicy;
  /** The process, entrypoint and command resolved (see {@link processArgs}). */
  args: string[];
  /** `-e KEY=VALUE`, over the image's Env. */
  env: string[];
  /** `-w DIR`, over the image's WorkingDir. */
  workdir?: string;
  user: ProcessUser;
  /** The default seccomp profile converted for these capabilities; required above low security. */
  seccomp?: OciSeccomp;
  /** The host accounts swap in the memory cgroup: the limit then covers memory and swap. */
  swapAccounted: boolean;
  /** Host files bound read-only into the container: container path → host path. */
  hostFiles?: Record<string, string>;
}

/**
 * What the container runs: the image's Entrypoint followed by `command` when given, else by the
 * image's Cmd (Docker's rule). Throws when that leaves nothing to run.
 *
 * @example
 * processArgs({ Entrypoint: ['/bin/app'], Cmd: ['--help'] }, ['serve']); // ['/bin/app', 'serve']
 */
export function processArgs(image: RuntimeConfig, command: string[]): string[] {
  const args = [...(image.Entrypoint ?? []), ...(command.length > 0 ? command : (image.Cmd ?? []))];
  if (args.length === 0) throw new Error('the image has no command: give one after the image (nocker run IMAGE COMMAND…)');
  return args;
}

/** `KEY=VALUE` lists merged by key (see mergeEnv), later ones winning, PATH defaulted. */
export function mergeEnvironment(...lists: string[][]): string[] {
  const merged = mergeEnv(...lists);
  return merged.some((entry) => entry.startsWith('PATH=')) ? merged : [...merged, DEFAULT_PATH];
}

/** The capabilities of a security level: none under high, Docker's defaults otherwise. */
export function capabilitiesFor(policy: EffectivePolicy): string[] {
  return policy.security === 'high' ? [] : [...DEFAULT_CAPABILITIES];
}

/** The cgroup limits: memory (and swap where accounted), CPU quota, pids; all devices denied but the runtime's defaults. */
function resources(policy: EffectivePolicy, swapAccounted: boolean): Record<string, unknown> {
  const limits: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }], pids: { limit: policy.pids } };
  if (policy.memory !== undefined) limits.memory = { limit: policy.memory, ...(swapAccounted ? { swap: policy.memory } : {}) };
  if (policy.cpu !== undefined) limits.cpu = { quota: Math.max(1000, Math.round(policy.cpu * CPU_PERIOD)), period: CPU_PERIOD };
  return limits;
}

/**
 * The runtime bundle's `config.json` for a container whose root is `rootfs/` beside it.
 *
 * - high: read-only root with a tmpfs `/tmp`, no capabilities, no_new_privileges, seccomp;
 * - medium: Docker's default capabilities, seccomp, no_new_privileges, writable root;
 * - low: Docker's default capabilities, no seccomp.
 * Never privileged: kernel paths are masked or read-only at every level. The network namespace
 * is the container's own unless the policy says `host`.
 *
 * @example
 * const config = runtimeSpec({ id, image: config.config, policy, args: processArgs(config.config, []), env: [], user, seccomp, swapAccounted: true });
 */
export function runtimeSpec(input: SpecInput): Record<string, unknown> {
  const { policy } = input;
  if (policy.security !== 'low' && !input.seccomp) throw new Error(`${policy.security} security needs a seccomp profile`);
  const capabilities = capabilitiesFor(policy);
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (policy.network !== 'host') namespaces.push({ type: 'network' });
  const mounts: Record<string, unknown>[] = [...STANDARD_MOUNTS];
  if (policy.security === 'high') mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'] });
  for (const [destination, source] of Object.entries(input.hostFiles ?? {})) mounts.push({ destination, type: 'bind', source, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  for (const volume of policy.volumes) mounts.push({ destination: volume.destination, type: 'bind', source: volume.source, options: ['rbind', volume.readonly ? 'ro' : 'rw'] });
  const { user } = input;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
      args: input.args,
      env: mergeEnvironment(input.image.Env ?? [], [`HOSTNAME=${hostnameOf(input.id)}`], input.env),
      cwd: input.workdir ?? (input.image.WorkingDir || '/'),
      capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
      noNewPrivileges: policy.security !== 'low',
    },
    root: { path: 'rootfs', readonly: policy.security === 'high' },
    hostname: hostnameOf(input.id),
    mounts,
    linux: {
      cgroupsPath: `nocker/${input.id}`,
      namespaces,
      resources: resources(policy, input.swapAccounted),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      ...(policy.security !== 'low' && input.seccomp ? { seccomp: input.seccomp } : {}),
    },
  };
}

/** A container's hostname: the first 12 digits of its id, as Docker names them. */
export function hostnameOf(id: string): string {
  return id.slice(0, 12);
}
