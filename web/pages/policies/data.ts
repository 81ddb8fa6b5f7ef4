/**
 * What the policy pages read, all through the viewer's Hub client: a namespace's trust and
 * vulnerability policies side by side per environment, and short ids for the keys they trust.
 */
import { X509Certificate } from 'node:crypto';
import type { HubClient } from '../../../hub/client/client.ts';
import { HubAdmin, type TrustPolicy } from '../../../hub/client/admin.ts';
import { VulnerabilityPolicies, type VulnerabilityPolicy } from '../../../hub/client/vulnerability-policies.ts';
import { keyId, loadPublicKey } from '../../../engine/sign/keys.ts';

/** The environments `nocker run` knows by name, in the order the pages show them. */
export const STANDARD_ENVIRONMENTS = ['production', 'testing', 'development', 'embedded'] as const;

/** One environment of a namespace and the policies it has there (either may be missing). */
export interface EnvironmentPolicies {
  environment: string;
  trust?: TrustPolicy;
  vulnerability?: VulnerabilityPolicy;
}

/**
 * Environment names in page order: the standard ones first as `nocker run` lists them, then the
 * others alphabetically; each once.
 *
 * @example
 * orderEnvironments(['staging', 'testing', 'production']); // ['production', 'testing', 'staging']
 */
export function orderEnvironments(names: Iterable<string>): string[] {
  const rank = (name: string) => {
    const index = (STANDARD_ENVIRONMENTS as readonly string[]).indexOf(name);
    return index === -1 ? STANDARD_ENVIRONMENTS.length : index;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * Pairs a namespace's trust and vulnerability policies by environment.
 *
 * @example
 * byEnvironment(trustPolicies, vulnerabilityPolicies); // [{ environment: 'production', trust, vulnerability }]
 */
export function byEnvironment(trust: readonly TrustPolicy[], vulnerability: readonly VulnerabilityPolicy[]): EnvironmentPolicies[] {
  return orderEnvironments([...trust.map((p) => p.environment), ...vulnerability.map((p) => p.environment)]).map((environment) => ({
    environment,
    trust: trust.find((p) => p.environment === environment),
    vulnerability: vulnerability.find((p) => p.environment === environment),
  }));
}

/**
 * Both kinds of policies of `namespace`, per environment (NAME_UNKNOWN when the viewer cannot see it).
 *
 * @example
 * const environments = await namespacePolicies(c.var.hub, 'team');
 */
export async function namespacePolicies(hub: HubClient, namespace: string): Promise<EnvironmentPolicies[]> {
  const [trust, vulnerability] = await Promise.all([new HubAdmin(hub).listPolicies(namespace), new VulnerabilityPolicies(hub).list(namespace)]);
  return byEnvironment(trust, vulnerability);
}

/**
 * The id `nocker` shows for a public key (hex SHA-256 of its SPKI), or for a CA certificate its
 * SHA-256 fingerprint; undefined when the PEM cannot be read.
 *
 * @example
 * pemFingerprint(publicKeyPem); // '3f1c…' (64 hex digits)
 */
export function pemFingerprint(pem: string): string | undefined {
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(pem).fingerprint256;
    return keyId(loadPublicKey(pem));
  } catch {
    return undefined;
  }
}
