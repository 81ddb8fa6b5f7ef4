/**
 * What `nocker build` recorded in an image for its runs: the resolved policies (label
 * `dev.nocker.policies`), the ports `run.ports` publishes (label `dev.nocker.ports`) and the
 * ports it exposes. Images built elsewhere carry none of these; that is not an error.
 */
import { POLICIES_ANNOTATION, PORTS_LABEL } from '../build/build.ts';
import type { RuntimeConfig } from '../image/config.ts';
import type { Policies } from '../nockerfile/types.ts';
import type { PublishedPort } from './types.ts';

const LEVELS = ['low', 'medium', 'high'];
const NETWORKS = ['none', 'restricted', 'host'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * The policies recorded in the image, or undefined when it has none. A label that is there but
 * unreadable is an error: running such an image without its policies would loosen them.
 *
 * @example
 * recordedPolicies({ Labels: { 'dev.nocker.policies': '{"security":{"level":"high"},"resources":{}}' } });
 * // { security: { level: 'high' }, resources: {} }
 */
export function recordedPolicies(config: RuntimeConfig): Policies | undefined {
  const text = config.Labels?.[POLICIES_ANNOTATION];
  if (text === undefined) return undefined;
  const invalid = () => new Error(`the image's ${POLICIES_ANNOTATION} label is not a policy nocker can read: ${text.slice(0, 200)}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (!isRecord(value)) throw invalid();
  const security = isRecord(value.security) ? value.security : {};
  const resources = isRecord(value.resources) ? value.resources : {};
  if (security.level !== undefined && !LEVELS.includes(String(security.level))) throw invalid();
  if (security.network !== undefined && !NETWORKS.includes(String(security.network))) throw invalid();
  if ((resources.cpu !== undefined && positive(resources.cpu) === undefined) || (resources.memory !== undefined && positive(resources.memory) === undefined)) throw invalid();
  return {
    security: { ...(security.level ? { level: security.level as Policies['security']['level'] } : {}), ...(security.network ? { network: security.network as Policies['security']['network'] } : {}) },
    resources: { ...(resources.cpu !== undefined ? { cpu: resources.cpu as number } : {}), ...(resources.memory !== undefined ? { memory: resources.memory as number } : {}) },
  };
}

/** The container ports the image exposes (`ExposedPorts`) or publishes. */
export function declaredPorts(config: RuntimeConfig): number[] {
  const exposed = Object.keys(config.ExposedPorts ?? {}).map((key) => Number(key.split('/')[0]));
  return [...new Set([...exposed, ...recordedPorts(config).map((p) => p.containerPort)])].filter((p) => Number.isInteger(p) && p > 0);
}

/**
 * Reads one `-p` value: `[IP:]HOST:CONTAINER[/PROTO]` (IPv6 addresses in brackets). The host
 * address defaults to `defaultIp`.
 *
 * @example
 * parsePublish('8080:3000', '127.0.0.1'); // { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 3000, protocol: 'tcp' }
 */
export function parsePublish(text: string, defaultIp: string): PublishedPort {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text.trim());
  const hostPort = Number(match?.[2]);
  const containerPort = Number(match?.[3]);
  if (!match || !validPort(hostPort) || !validPort(containerPort)) throw new Error(`"${text}" is not a port to publish: expected [IP:]HOST:CONTAINER[/tcp|udp], ports 1-65535`);
  return { hostIp: match[1]?.replace(/^\[|\]$/g, '') ?? defaultIp, hostPort, containerPort, protocol: match[4] === 'udp' ? 'udp' : 'tcp' };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** The ports `run.ports` publishes, from the image's label (host address left to the caller: 127.0.0.1). */
export function recordedPorts(config: RuntimeConfig, hostIp = '127.0.0.1'): PublishedPort[] {
  const text = config.Labels?.[PORTS_LABEL];
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) throw new Error(`the image's ${PORTS_LABEL} label is not a list of ports: ${text.slice(0, 200)}`);
  return value.map((entry) => parsePublish(String(entry), hostIp));
}
