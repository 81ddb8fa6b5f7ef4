/**
 * Verifying image signatures against trusted keys with @sigstore/verify: Sigstore bundles (DSSE
 * in-toto statements, as nocker and cosign's bundle format write them) and cosign's legacy
 * "simple signing" payloads. A signature is valid only when it verifies with a trusted key AND
 * names the image's digest; transparency-log and timestamp thresholds are 0 (offline keyed trust).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { toMessageSignatureBundle, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type SignedEntity } from '@sigstore/verify';
import { checkCertificate, isCertificateBundle, type KeylessTrust } from './identity.ts';
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, statementCovers } from './statement.ts';

/** A public key signatures may be made with, and the name it is shown under. */
export interface TrustedKey {
  /** How the key is shown: its file or policy name. */
  name: string;
  publicKey: KeyObject;
}

/** What checking one signature found. */
export interface SignatureVerdict {
  valid: boolean;
  /** The trusted key that verified it. */
  signer?: string;
  /** Why it is not valid: unsigned content, an untrusted key, another digest… */
  reason?: string;
  /** For in-toto statements: what kind of claim (a signature, an SBOM, provenance). */
  predicateType?: string;
}

/** A trusted root with nothing in it: keyed trust needs no CA, log or timestamp authority. */
const EMPTY_ROOT = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });

/** A verifier that trusts exactly `key`, whatever hint the signature gives. */
function verifierFor(key: KeyObject): Verifier {
  const material = toTrustMaterial(EMPTY_ROOT, () => ({ publicKey: key, validFor: () => true }));
  return new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
}

/** The first trusted key `entity` verifies with, if any. */
function trustedSigner(entity: SignedEntity, keys: readonly TrustedKey[]): TrustedKey | undefined {
  return keys.find((key) => {
    try {
      verifierFor(key.publicKey).verify(entity);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The identity a certificate-signed bundle was signed by, when its certificate is trusted and
 * the signature verifies with the certificate's key; else why not.
 */
function certificateSigner(bundle: Bundle, keyless: KeylessTrust): { name: string } | { reason: string } {
  const certificate = checkCertificate(bundle, keyless);
  if (!certificate.ok) return { reason: certificate.reason };
  if (!toSignedEntity(bundle).signature.verifySignature(certificate.key)) return { reason: 'the signature does not verify with its certificate (altered)' };
  return { name: certificate.subject };
}

/** Why a signature that no trusted key verifies is refused: it may be another key's, or altered. */
export const UNTRUSTED_REASON = 'the signature does not verify with any trusted key (signed by another key, or altered)';

/**
 * Checks a Sigstore bundle signing the image `digest`: the DSSE envelope must verify with one of
 * `keys` (or, signed with a certificate, with a certificate `keyless` trusts) and its in-toto
 * statement must name `digest` among its subjects.
 *
 * @example
 * verifyBundle(parseBundle(bytes), 'sha256:…', [{ name: 'ci.pub', publicKey }]); // { valid: true, signer: 'ci.pub', … }
 */
export function verifyBundle(bundle: Bundle, digest: string, keys: readonly TrustedKey[], keyless: KeylessTrust = { roots: [], identities: [] }): SignatureVerdict {
  if (bundle.content.$case !== 'dsseEnvelope') return { valid: false, reason: 'the bundle holds a message signature, which does not say which image it signs' };
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { valid: false, reason: `the envelope holds ${envelope.payloadType || 'an untyped payload'}, not an in-toto statement` };
  const statement = parseStatement(envelope.payload);
  if (!statement) return { valid: false, reason: 'the envelope does not hold an in-toto statement' };
  const signer = isCertificateBundle(bundle) ? certificateSigner(bundle, keyless) : trustedSigner(toSignedEntity(bundle), keys) ?? { reason: UNTRUSTED_REASON };
  if ('reason' in signer) return { valid: false, reason: signer.reason, predicateType: statement.predicateType };
  if (!statementCovers(statement, digest)) return { valid: false, signer: signer.name, reason: `the signature is for ${statement.subject.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join()).join(', ')}, not ${digest}`, predicateType: statement.predicateType };
  return { valid: true, signer: signer.name, predicateType: statement.predicateType };
}

/** cosign's simple-signing payload: what its legacy signatures sign. */
interface SimpleSigningPayload {
  critical?: { image?: { 'docker-manifest-digest'?: string }; type?: string };
}

/**
 * Checks one of cosign's legacy signatures: `signature` (base64, from the layer's
 * `dev.cosignproject.cosign/signature` annotation) over the simple-signing `payload`, which must
 * name `digest` as its `docker-manifest-digest`.
 *
 * @example
 * verifySimpleSigning(payloadBytes, annotations['dev.cosignproject.cosign/signature'], 'sha256:…', keys);
 */
export function verifySimpleSigning(payload: Uint8Array, signature: string, digest: string, keys: readonly TrustedKey[]): SignatureVerdict {
  let parsed: SimpleSigningPayload;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8')) as SimpleSigningPayload;
  } catch {
    return { valid: false, reason: 'the simple-signing payload is not JSON' };
  }
  const bytes = Buffer.from(payload);
  // The same checks as a bundle: the payload as a message signature over its sha256.
  const bundle = toMessageSignatureBundle({ digest: createHash('sha256').update(bytes).digest(), signature: Buffer.from(signature, 'base64'), keyHint: '', certificateChain: false });
  const signer = trustedSigner(toSignedEntity(bundle, bytes), keys);
  if (!signer) return { valid: false, reason: UNTRUSTED_REASON };
  const signed = parsed.critical?.image?.['docker-manifest-digest'];
  if (signed !== digest) return { valid: false, signer: signer.name, reason: `the signature is for ${signed ?? 'no image'}, not ${digest}` };
  return { valid: true, signer: signer.name };
}
