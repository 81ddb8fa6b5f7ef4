/**
 * Sigstore bundles (v0.3) made offline with a key: a DSSE envelope around an in-toto statement,
 * signed with an ECDSA key, the public key named by a hint instead of a certificate, and no
 * transparency-log entry (keyed trust needs none).
 */
import { sign, type KeyObject } from 'node:crypto';
import { bundleFromJSON, bundleToJSON, type Bundle, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, type Signer } from '@sigstore/sign';
import { IN_TOTO_PAYLOAD_TYPE, type Statement } from './statement.ts';

/** The media type of a Sigstore bundle v0.3, as a document and as an OCI artifact type. */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** A key that signs: the private key, and how verifiers find the public one. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The hint verifiers look the public key up by (its key id). */
  hint: string;
  /** A certificate for the key (PEM): the bundle then carries it instead of the hint (keyless style). */
  certificate?: string;
}

/** A @sigstore/sign signer backed by a local key: ECDSA over SHA-256, DER-encoded; named by hint or certificate. */
function keySigner(key: SigningKey): Signer {
  const publicKey = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    sign: async (data: Buffer) => ({
      signature: sign('sha256', data, key.privateKey),
      key: key.certificate ? { $case: 'x509Certificate', certificate: key.certificate } : { $case: 'publicKey', publicKey, hint: key.hint },
    }),
  };
}

/**
 * Signs `statement` into a Sigstore bundle v0.3 (DSSE envelope, public-key hint, no log
 * entries) and resolves to its JSON form.
 *
 * @example
 * const bundle = await signStatement(imageStatement(name, digest), key);
 * bundle.mediaType; // 'application/vnd.dev.sigstore.bundle.v0.3+json'
 */
export async function signStatement(statement: Statement, key: SigningKey): Promise<SerializedBundle> {
  const builder = new DSSEBundleBuilder({ signer: keySigner(key), witnesses: [] });
  const bundle = bundleToJSON(await builder.create({ data: Buffer.from(JSON.stringify(statement), 'utf8'), type: IN_TOTO_PAYLOAD_TYPE }));
  // The key is named by the verification material's hint only: cosign skips a DSSE signature
  // whose keyid differs from the id it gives its --key, and nothing needs the keyid.
  for (const signature of bundle.dsseEnvelope?.signatures ?? []) signature.keyid = '';
  return bundle;
}

/**
 * Reads a bundle from its JSON bytes; throws a clear error for anything that is not one.
 *
 * @example
 * const bundle = parseBundle(await fetchBlobBytes(client, repository, layer));
 */
export function parseBundle(bytes: Uint8Array): Bundle {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('the signature is not JSON');
  }
  try {
    return bundleFromJSON(json);
  } catch (err) {
    throw new Error(`the signature is not a valid Sigstore bundle: ${(err as Error).message}`);
  }
}
