/**
 * Trust policies: per namespace and environment, whether the Hub serves only images signed by
 * keys it trusts (`enforce`), serves others with a warning (`warn`), or does not check (`off`).
 */

export type PolicyMode = 'enforce' | 'warn' | 'off';

/** The environment a pull is for when it does not say (`Nocker-Environment` header). */
export const DEFAULT_ENVIRONMENT = 'production';

/** A trusted public key: PEM text (SPKI) and the name signatures are shown as signed by. */
export interface PolicyKey {
  name: string;
  pem: string;
}

/**
 * A keyless signer, as Sigstore's Fulcio certificates name them: the OIDC issuer (the
 * certificate's issuer extension, compared exactly) and the subject (its subject alternative
 * name — an email or a URI — matched whole by the regular expression `subject`).
 */
export interface PolicyIdentity {
  issuer: string;
  subject: string;
}

/** One namespace's policy for one environment. */
export interface TrustPolicy {
  namespace: string;
  environment: string;
  mode: PolicyMode;
  keys: PolicyKey[];
  /** CA certificates (PEM, `name` to show) that keyless signers' certificates must chain to. */
  roots: PolicyKey[];
  /** Who may sign keylessly, with a certificate from one of `roots`. */
  identities: PolicyIdentity[];
  /** How many valid signatures, by distinct trusted keys or identities, an image needs. At least 1. */
  required: number;
  /** Raised by every change: verification results are cached per (digest, version). */
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/** Where the registry looks policies up. */
export interface TrustPolicyLookup {
  find(namespace: string, environment: string): Promise<TrustPolicy | undefined>;
}
