/**
 * Keyless trust, offline: a bundle signed with a short-lived certificate (as Sigstore's Fulcio
 * issues them) is trusted when the certificate chains to a configured CA, is valid now, and
 * names an allowed identity — its OIDC issuer (Fulcio's issuer extension) and its subject
 * alternative name (an email or a URI). There is no transparency log or timestamp authority to
 * prove when it signed, so validity is checked at verification time.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import type { Bundle } from '@sigstore/bundle';

/** Fulcio's OIDC issuer extensions: v2 (a DER UTF8String) and the older v1 (raw text). */
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
/** How many certificates a chain may have between the leaf and a trusted CA. */
const MAX_CHAIN = 5;

/** Who may sign: the issuer compared exactly, the subject matched whole by a regular expression. */
export interface TrustedIdentity {
  issuer: string;
  subject: string;
}

/** The CAs keyless signers' certificates must chain to, and the identities allowed to sign. */
export interface KeylessTrust {
  roots: { name: string; pem: string }[];
  identities: TrustedIdentity[];
}

/** A certificate's signer as checking it found it. */
export type CertificateCheck = { ok: true; key: KeyObject; issuer: string; subject: string } | { ok: false; reason: string };

/** The leaf certificate and any chain a bundle carries (v0.1/v0.2 chains, v0.3 one certificate). */
function bundleCertificates(bundle: Bundle): X509Certificate[] | undefined {
  const content = bundle.verificationMaterial.content;
  // A copy: the parser wants a Buffer over a plain ArrayBuffer.
  const parse = (der: Uint8Array) => X509Certificate.parse(Buffer.from(der));
  if (content.$case === 'certificate') return [parse(content.certificate.rawBytes)];
  if (content.$case === 'x509CertificateChain') return content.x509CertificateChain.certificates.map((c) => parse(c.rawBytes));
  return undefined;
}

/** True when the bundle names its signer by certificate rather than by a key hint. */
export function isCertificateBundle(bundle: Bundle): boolean {
  return bundle.verificationMaterial.content.$case !== 'publicKey';
}

/** The OIDC issuer a Fulcio-style certificate records, if any. */
function issuerOf(cert: X509Certificate): string | undefined {
  const v2 = cert.extension(OID_ISSUER_V2);
  if (v2) return v2.valueObj.subs[0]?.value.toString('utf8') ?? v2.valueObj.value.toString('utf8');
  return cert.extension(OID_ISSUER_V1)?.value.toString('utf8');
}

/** The path from `leaf` to a trusted CA, or why there is none. */
function chainToRoot(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], at: Date): string | undefined {
  let cert = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (!cert.validForDate(at)) return `certificate ${depth === 0 ? 'of the signer' : `#${depth} of its chain`} is not valid at ${at.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`;
    const root = roots.find((r) => cert.verify(r));
    if (root) return root.validForDate(at) ? undefined : `the trusted CA is not valid at ${at.toISOString()}`;
    const next = intermediates.find((c) => c.isCA && !c.equals(cert) && cert.verify(c));
    if (!next) return 'the signing certificate does not chain to a trusted CA';
    cert = next;
  }
  return `the certificate chain is longer than ${MAX_CHAIN}`;
}

/**
 * Checks the certificate a bundle is signed with against `trust` at time `at`: its chain to one
 * of the roots, its validity, and its identity. Resolves the leaf's key to verify the signature
 * with, or why the certificate is not trusted.
 *
 * @example
 * const check = checkCertificate(bundle, { roots: [{ name: 'ca', pem }], identities: [{ issuer: 'https://issuer.example', subject: '.+@example\\.com' }] });
 */
export function checkCertificate(bundle: Bundle, trust: KeylessTrust, at = new Date()): CertificateCheck {
  let certificates: X509Certificate[] | undefined;
  try {
    certificates = bundleCertificates(bundle);
  } catch (err) {
    return { ok: false, reason: `the signing certificate cannot be read: ${(err as Error).message}` };
  }
  const [leaf, ...intermediates] = certificates ?? [];
  if (!leaf) return { ok: false, reason: 'the bundle holds no certificate' };
  if (trust.roots.length === 0) return { ok: false, reason: 'signed with a certificate, and no CA is trusted' };
  const roots = trust.roots.map((r) => X509Certificate.parse(r.pem));
  const broken = chainToRoot(leaf, intermediates, roots, at);
  if (broken) return { ok: false, reason: broken };
  const issuer = issuerOf(leaf);
  const subject = leaf.subjectAltName;
  if (!issuer || !subject) return { ok: false, reason: 'the signing certificate names no OIDC issuer or no subject' };
  const allowed = trust.identities.some((id) => id.issuer === issuer && new RegExp(`^(?:${id.subject})$`).test(subject));
  if (!allowed) return { ok: false, reason: `the signer ${subject} (issuer ${issuer}) is not a trusted identity` };
  return { ok: true, key: createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }), issuer, subject };
}
