/**
 * The trust gate of manifest GETs: under a namespace's policy for the pull's environment, an
 * image needs enough valid signatures by the policy's keys. Signatures are found and verified
 * in the registry itself, with the same code as `nocker verify`. Verdicts are cached per image,
 * policy version and set of signature artifacts, so a new or removed signature is seen at once
 * (on every replica) while the cryptography runs once.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { checkSignatures, validSigners, type CheckedSignature } from '../../engine/sign/checked.ts';
import { loadPublicKey } from '../../engine/sign/keys.ts';
import { COSIGN_SIGNATURE_ARTIFACT_TYPE, findSignatures, SIMPLE_SIGNING_MEDIA_TYPE, type SignatureSource } from '../../engine/sign/oci.ts';
import { BUNDLE_MEDIA_TYPE } from '../../engine/sign/bundle.ts';
import type { TrustedKey } from '../../engine/sign/verify.ts';
import { OciError } from '../oci/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { StoredManifest } from '../registry/manifests.ts';
import { DEFAULT_ENVIRONMENT, type TrustPolicy, type TrustPolicyLookup } from './types.ts';

/** Signature blobs are small JSON documents; anything bigger is not read into memory. */
const MAX_SIGNATURE_BYTES = 1 << 20;
/** How many verdicts are remembered. */
const CACHE_ENTRIES = 10_000;

/**
 * A {@link SignatureSource} over repository `name` of the registry: the referrers index, the
 * manifests and the blobs as the Hub stores them.
 */
export function registrySource(registry: Registry, name: string): SignatureSource {
  return {
    referrers: (digest, artifactType) => registry.manifests.referrers(name, digest, artifactType),
    async manifest(reference) {
      try {
        const manifest = await registry.manifests.get(name, reference);
        return { digest: manifest.digest, bytes: manifest.content };
      } catch (err) {
        if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN') return undefined;
        throw err;
      }
    },
    async blob(descriptor) {
      const { size } = await registry.blobs.stat(name, descriptor.digest);
      if (size > MAX_SIGNATURE_BYTES) throw new Error(`signature blob ${descriptor.digest} is ${size} bytes, more than a signature holds`);
      const bytes = await buffer(await registry.blobs.read(descriptor.digest));
      if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== descriptor.digest) throw new Error(`signature blob ${descriptor.digest} does not match its digest`);
      return bytes;
    },
  };
}

/** What the gate decided for one GET. */
export interface GateDecision {
  allowed: boolean;
  /** Why the image does not meet the policy (a denial's message, or a warning). */
  reason?: string;
}

const ALLOWED: GateDecision = { allowed: true };

/**
 * True for what clients must be able to read to verify: signatures, attestations, SBOMs and other
 * referrers. Every gate of manifest GETs lets them through.
 *
 * @example
 * isSignatureArtifact(manifest, `${digest.replace(':', '-')}.sig`); // true
 */
export function isSignatureArtifact(manifest: StoredManifest, reference: string): boolean {
  if (/^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/.test(reference)) return true;
  let parsed: { subject?: unknown; artifactType?: unknown; layers?: { mediaType?: unknown }[] };
  try {
    parsed = JSON.parse(Buffer.from(manifest.content).toString('utf8')) as typeof parsed;
  } catch {
    return false;
  }
  if (parsed.subject !== undefined) return true;
  const layers = Array.isArray(parsed.layers) ? parsed.layers : [];
  return layers.length > 0 && layers.every((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE || l.mediaType === BUNDLE_MEDIA_TYPE);
}

/** One line on why the signatures found do not satisfy the policy. */
function explain(name: string, digest: string, policy: TrustPolicy, checked: readonly CheckedSignature[], valid: number): string {
  const signers = [...policy.keys.map((k) => k.name), ...policy.identities.map((i) => `${i.subject} from ${i.issuer}`)];
  const rule = `the ${policy.environment} trust policy of namespace "${policy.namespace}" requires ${policy.required} valid signature${policy.required === 1 ? '' : 's'} by its trusted ${policy.identities.length > 0 ? 'keys and identities' : 'keys'} (${signers.join(', ')})`;
  if (checked.length === 0) return `${name}@${digest} is not signed; ${rule}`;
  const problems = checked.filter((c) => !c.verdict.valid).map((c) => `${c.artifact.slice(0, 19)}…: ${c.verdict.reason}`);
  return `${name}@${digest} has ${valid} valid signature${valid === 1 ? '' : 's'}; ${rule}${problems.length > 0 ? `. ${problems.join('; ')}` : ''}`;
}

/** The policy's keys as verifiers take them; a key that no longer parses is left out. */
function trustedKeys(policy: TrustPolicy): TrustedKey[] {
  const keys: TrustedKey[] = [];
  for (const key of policy.keys) {
    let publicKey: KeyObject;
    try {
      publicKey = loadPublicKey(key.pem, key.name);
    } catch {
      continue;
    }
    keys.push({ name: key.name, publicKey });
  }
  return keys;
}

/** An image's signatures checked against a policy's keys, and the keys that validly signed it. */
export interface SignatureEvaluation {
  checked: CheckedSignature[];
  signers: Set<string>;
}

/**
 * Finds the signatures of `digest` in repository `name` and checks them against the keys of
 * `policy` (none without one: every signature is then untrusted).
 *
 * @example
 * const { signers } = await evaluateSignatures(registry, 'team/app', digest, policy);
 */
export async function evaluateSignatures(registry: Registry, name: string, digest: string, policy: TrustPolicy | undefined): Promise<SignatureEvaluation> {
  const keyless = { roots: policy?.roots ?? [], identities: policy?.identities ?? [] };
  const checked = checkSignatures(await findSignatures(registrySource(registry, name), digest), digest, policy ? trustedKeys(policy) : [], keyless);
  return { checked, signers: validSigners(checked) };
}

/** The trust gate: `decide` for each manifest GET. */
export interface SignatureGate {
  decide(name: string, reference: string, manifest: StoredManifest, environment: string | undefined): Promise<GateDecision & { mode?: TrustPolicy['mode'] }>;
}

/**
 * The gate over `registry`, with policies from `policies`.
 *
 * @example
 * const gate = createSignatureGate(registry, policyStore);
 * const { allowed, reason } = await gate.decide('team/app', 'v1', manifest, undefined);
 */
export function createSignatureGate(registry: Registry, policies: TrustPolicyLookup): SignatureGate {
  const cache = new Map<string, GateDecision>();
  const remember = (key: string, decision: GateDecision) => {
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, decision);
    return decision;
  };

  return {
    async decide(name, reference, manifest, environment) {
      const namespace = name.split('/')[0] as string;
      const policy = await policies.find(namespace, environment?.trim() || DEFAULT_ENVIRONMENT);
      if (!policy || policy.mode === 'off' || isSignatureArtifact(manifest, reference)) return ALLOWED;
      const source = registrySource(registry, name);
      // Which signature artifacts exist now: part of the key, so a change is never served from cache.
      const artifacts = [
        ...(await source.referrers(manifest.digest, BUNDLE_MEDIA_TYPE)),
        ...(await source.referrers(manifest.digest, COSIGN_SIGNATURE_ARTIFACT_TYPE)),
        ...[await source.manifest(`${manifest.digest.replace(':', '-')}.sig`)].filter((m) => m !== undefined),
      ].map((a) => a.digest);
      const key = `${namespace}|${policy.environment}|${policy.version}|${manifest.digest}|${artifacts.sort().join(',')}`;
      const cached = cache.get(key);
      if (cached) return { ...cached, mode: policy.mode };
      const { checked, signers } = await evaluateSignatures(registry, name, manifest.digest, policy);
      const valid = signers.size;
      const decision = valid >= policy.required ? ALLOWED : { allowed: false, reason: explain(name, manifest.digest, policy, checked, valid) };
      return { ...remember(key, decision), mode: policy.mode };
    },
  };
}
