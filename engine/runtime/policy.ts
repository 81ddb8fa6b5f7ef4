/**
 * The policy enforcer: what a container may do, from the policies the build recorded in the
 * image, the environment it runs under, and the command line. In production (and in every
 * environment but development and testing) the command line may only tighten what the image
 * declares; an attempt to loosen it is refused with the reason.
 */
import type { Policies } from '../nockerfile/types.ts';
import type { PublishedPort } from './types.ts';

export type SecurityLevel = 'low' | 'medium' | 'high';
export type NetworkMode = 'none' | 'restricted' | 'host';

/** The environment a run uses when none is given. */
export const DEFAULT_RUN_ENVIRONMENT = 'production';

/** How open each level is: a higher number allows more. */
const SECURITY_OPENNESS: Record<SecurityLevel, number> = { high: 0, medium: 1, low: 2 };
const NETWORK_OPENNESS: Record<NetworkMode, number> = { none: 0, restricted: 1, host: 2 };

/** The pids limit of every container, and the tighter one of `embedded`. */
export const DEFAULT_PIDS_LIMIT = 1024;
const EMBEDDED_LIMITS = { memory: 64 * 1024 * 1024, cpu: 0.5, pids: 64 };

/** A bind mount asked for with `-v HOST:CONTAINER[:ro]`. */
export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
}

/** What the command line asks for; unset fields keep what the image and environment say. */
export interface RunRequest {
  environment: string;
  publish: PublishedPort[];
  volumes: BindMount[];
  user?: string;
  memory?: number;
  cpus?: number;
  network?: NetworkMode;
  security?: SecurityLevel;
}

/** What the container gets. */
export interface EffectivePolicy {
  environment: string;
  security: SecurityLevel;
  network: NetworkMode;
  /** Bytes. */
  memory?: number;
  cpu?: number;
  pids: number;
  /** The image must carry a valid signature by a trusted signer. */
  signaturesRequired: boolean;
  /** The container is removed when it ends (as with `--rm`). */
  throwaway: boolean;
  publish: PublishedPort[];
  volumes: BindMount[];
  /** `--user`, when given and allowed. */
  user?: string;
}

/** Thrown when the command line asks for more than the environment's policy allows. */
export class PolicyViolationError extends Error {
  constructor(readonly violations: string[], environment: string) {
    super(`the ${environment} policy does not allow this: ${violations.join('; ')}`);
    this.name = 'PolicyViolationError';
  }
}

/** True in the environments where the command line may loosen the image's policies. */
function isRelaxed(environment: string): boolean {
  return environment === 'development' || environment === 'testing';
}

/**
 * True when images must carry a valid signature by a trusted signer to run in `environment`:
 * everywhere but development and testing.
 *
 * @example
 * signaturesRequiredIn('production'); // true
 */
export function signaturesRequiredIn(environment: string): boolean {
  return !isRelaxed(environment);
}

/** The smaller of two optional limits (an unset limit is no limit). */
function tighter(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** The stricter of two levels by `openness`. */
function stricter<T extends string>(openness: Record<T, number>, a: T, b: T): T {
  return openness[a] <= openness[b] ? a : b;
}

/**
 * What the environment makes of the image's policies before the command line: `development` is
 * low security; `testing` has no network and throws its containers away; `embedded` has the
 * tightest limits; `production` and custom environments keep the image's policies. An image that
 * declares nothing gets medium security on a restricted network.
 */
function environmentBase(policies: Policies | undefined, environment: string): Omit<EffectivePolicy, 'publish' | 'volumes' | 'user'> {
  const security: SecurityLevel = policies?.security.level ?? 'medium';
  const network: NetworkMode = policies?.security.network ?? 'restricted';
  const base = { environment, security, network, memory: policies?.resources.memory, cpu: policies?.resources.cpu, pids: DEFAULT_PIDS_LIMIT, signaturesRequired: signaturesRequiredIn(environment), throwaway: false };
  switch (environment) {
    case 'development':
      return { ...base, security: 'low' };
    case 'testing':
      return { ...base, network: 'none', throwaway: true };
    case 'embedded':
      return { ...base, security: 'high', network: 'none', memory: tighter(base.memory, EMBEDDED_LIMITS.memory), cpu: tighter(base.cpu, EMBEDDED_LIMITS.cpu), pids: EMBEDDED_LIMITS.pids };
    default:
      return base;
  }
}

/** `1000`, `1000:1000`, `root`, `0:0`: true when the user named is root. */
function namesRoot(user: string): boolean {
  const name = user.split(':')[0] ?? '';
  return name === '0' || name === 'root';
}

/**
 * The policy a container runs under. Outside development and testing, every part of `request`
 * that would loosen the image's policies is collected and the whole request refused with a
 * {@link PolicyViolationError} naming each one; in development and testing the command line
 * wins. Ports published must be among `declaredPorts` (the image's) outside those two.
 *
 * @example
 * const policy = effectivePolicy({ security: { level: 'high', network: 'restricted' }, resources: { memory: 64 << 20 } }, { environment: 'production', publish: [], volumes: [], memory: 32 << 20 }, []);
 * policy.memory; // 33554432
 */
export function effectivePolicy(policies: Policies | undefined, request: RunRequest, declaredPorts: readonly number[]): EffectivePolicy {
  const base = environmentBase(policies, request.environment);
  const relaxed = isRelaxed(request.environment);
  const violations: string[] = [];
  const policy: EffectivePolicy = { ...base, publish: request.publish, volumes: request.volumes };

  if (request.security) {
    if (!relaxed && SECURITY_OPENNESS[request.security] > SECURITY_OPENNESS[base.security]) violations.push(`--security ${request.security} is looser than the policy's ${base.security}`);
    policy.security = relaxed ? request.security : stricter(SECURITY_OPENNESS, request.security, base.security);
  }
  if (request.network) {
    if (!relaxed && NETWORK_OPENNESS[request.network] > NETWORK_OPENNESS[base.network]) violations.push(`--network ${request.network} is more open than the policy's ${base.network}`);
    policy.network = relaxed ? request.network : stricter(NETWORK_OPENNESS, request.network, base.network);
  }
  if (request.memory !== undefined) {
    if (!relaxed && base.memory !== undefined && request.memory > base.memory) violations.push(`--memory ${formatSize(request.memory)} is more than the policy's ${formatSize(base.memory)}`);
    policy.memory = relaxed ? request.memory : tighter(request.memory, base.memory);
  }
  if (request.cpus !== undefined) {
    if (!relaxed && base.cpu !== undefined && request.cpus > base.cpu) violations.push(`--cpus ${request.cpus} is more than the policy's ${base.cpu}`);
    policy.cpu = relaxed ? request.cpus : tighter(request.cpus, base.cpu);
  }
  if (request.user !== undefined) {
    if (!relaxed && policy.security === 'high' && namesRoot(request.user)) violations.push(`--user ${request.user} runs as root, which high security does not allow`);
    policy.user = request.user;
  }
  if (request.volumes.length > 0 && request.environment !== 'development') {
    violations.push(`bind mounts (-v) are allowed in the development environment only`);
  }
  if (request.publish.length > 0 && policy.network === 'none') {
    violations.push(`-p publishes ports, but the network is none (no port is reachable)`);
  }
  if (!relaxed) {
    const undeclared = request.publish.filter((p) => !declaredPorts.includes(p.containerPort)).map((p) => p.containerPort);
    if (undeclared.length > 0) violations.push(`-p publishes port${undeclared.length > 1 ? 's' : ''} ${undeclared.join(', ')}, which the image does not declare`);
  }
  if (violations.length > 0) throw new PolicyViolationError(violations, request.environment);
  return policy;
}

/**
 * A size for messages, in the units it was most likely written in: whole binary units (`64 MiB`)
 * when it divides evenly, else whole decimal ones (`64 MB`), else binary with one decimal.
 *
 * @example
 * formatSize(67108864); // '64 MiB'
 * formatSize(64_000_000); // '64 MB'
 */
export function formatSize(bytes: number): string {
  const binary = ['KiB', 'MiB', 'GiB', 'TiB'];
  const decimal = ['KB', 'MB', 'GB', 'TB'];
  for (let i = binary.length; i >= 1; i--) {
    if (bytes >= 1024 ** i && bytes % 1024 ** i === 0) return `${bytes / 1024 ** i} ${binary[i - 1]}`;
    if (bytes >= 1000 ** i && bytes % 1000 ** i === 0) return `${bytes / 1000 ** i} ${decimal[i - 1]}`;
  }
  if (bytes < 1024) return `${bytes} bytes`;
  const exponent = Math.min(4, Math.floor(Math.log(bytes) / Math.log(1024)));
  return `${(bytes / 1024 ** exponent).toFixed(1)} ${binary[exponent - 1]}`;
}
