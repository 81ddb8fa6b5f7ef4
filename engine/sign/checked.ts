/**
 * Found signatures with their verdicts, and what they add up to: which trusted keys validly
 * signed the image itself (attestations say something else about it and do not count).
 */
import type { FoundSignature } from './oci.ts';
import { parseBundle } from './bundle.ts';
import type { KeylessTrust } from './identity.ts';
import { SIGNATURE_PREDICATE_TYPE } from './statement.ts';
import { UNTRUSTED_REASON, verifyBundle, verifySimpleSigning, type SignatureVerdict, type TrustedKey } from './verify.ts';

/** A signature found for an image, with what checking it found. */
export interface CheckedSignature {
  format: FoundSignature['format'];
  /** The signature artifact (its manifest digest). */
  artifact: string;
  created?: string;
  verdict: SignatureVerdict;
}

/** Checks one found signature against `keys`; a malformed one is an invalid verdict, not a throw. */
function check(found: FoundSignature, digest: string, keys: readonly TrustedKey[], keyless?: KeylessTrust): SignatureVerdict {
  if (found.format === 'simple-signing') return verifySimpleSigning(found.payload, found.signature, digest, keys);
  try {
    return verifyBundle(parseBundle(found.bundle), digest, keys, keyless);
  } catch (err) {
    return { valid: false, reason: (err as Error).message };
  }
}

/**
 * Checks every found signature of the image `digest` against `keys` and, for certificate-signed
 * bundles, the `keyless` trust.
 *
 * @example
 * const checked = checkSignatures(await findSignatures(source, digest), digest, keys);
 */
export function checkSignatures(found: readonly FoundSignature[], digest: string, keys: readonly TrustedKey[], keyless?: KeylessTrust): CheckedSignature[] {
  return found.map((f) => ({ format: f.format, artifact: f.artifact, ...(f.created ? { created: f.created } : {}), verdict: check(f, digest, keys, keyless) }));
}

/** True for a plain signature (not an attestation): cosign's simple signing, or nocker's statement. */
export function isPlainSignature(checked: CheckedSignature): boolean {
  const type = checked.verdict.predicateType;
  return type === undefined || type === SIGNATURE_PREDICATE_TYPE;
}

/**
 * The trusted keys that validly signed the image: each counts once, however many of its
 * signatures there are.
 *
 * @example
 * validSigners(checked).size >= policy.required;
 */
export function validSigners(checked: readonly CheckedSignature[]): Set<string> {
  return new Set(checked.filter((c) => c.verdict.valid && isPlainSignature(c)).map((c) => c.verdict.signer as string));
}

/**
 * A signature's status as the catalog shows it: `valid` (a trusted key signed this digest),
 * `untrusted` (no trusted key verifies it) or `invalid` (malformed, or for another digest).
 *
 * @example
 * signatureStatus(checked[0]); // 'untrusted'
 */
export function signatureStatus(checked: CheckedSignature): 'valid' | 'untrusted' | 'invalid' {
  if (checked.verdict.valid) return 'valid';
  return checked.verdict.reason === UNTRUSTED_REASON ? 'untrusted' : 'invalid';
}
