/**
 * Signing and verifying an image in the Hub: the manifest's digest signed into a bundle that is
 * pushed as its referrer; every signature the Hub holds for it checked against trusted keys.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { HubClient } from '../../hub/client/client.ts';
import { headManifest } from '../../hub/client/pull.ts';
import type { Descriptor } from '../image/manifest.ts';
import { signStatement } from './bundle.ts';
import { keyId } from './keys.ts';
import { checkSignatures, type CheckedSignature } from './checked.ts';
import { clientSource, findSignatures, pushBundle } from './oci.ts';
import { imageStatement, SIGNATURE_PREDICATE_TYPE } from './statement.ts';
import type { KeylessTrust } from './identity.ts';
import type { TrustedKey } from './verify.ts';

/** An image in the Hub as signatures name it. */
export interface SignedImage {
  /** `host/repository`, the statement's subject name. */
  name: string;
  repository: string;
  /** The manifest (or index) descriptor: what gets signed. */
  descriptor: Descriptor;
}

/**
 * Resolves `reference` (a tag or a digest) in `repository` to the manifest a signature covers.
 *
 * @example
 * const image = await imageToSign(client, 'team/app', 'v1');
 */
export async function imageToSign(client: HubClient, repository: string, reference: string): Promise<SignedImage> {
  // HEAD, not GET: a trust policy may refuse to serve the image until it is signed.
  return { name: `${client.host}/${repository}`, repository, descriptor: await headManifest(client, repository, reference) };
}

/** What to sign: a plain signature by default, or an attestation's predicate. */
export interface Claim {
  predicateType: string;
  predicate: Record<string, unknown>;
}

/**
 * Signs `image` with `privateKey` (a statement of `claim` about its digest) and pushes the
 * bundle as its referrer; resolves to the signature artifact's digest. With `certificate` (the
 * key's certificate, PEM) the bundle carries it instead of a key hint, for keyless trust.
 *
 * @example
 * await signImage(client, await imageToSign(client, 'team/app', 'v1'), privateKey);
 */
export async function signImage(client: HubClient, image: SignedImage, privateKey: KeyObject, claim: Claim = { predicateType: SIGNATURE_PREDICATE_TYPE, predicate: {} }, certificate?: string): Promise<string> {
  const publicKey = createPublicKey(privateKey);
  const statement = imageStatement(image.name, image.descriptor.digest, claim.predicateType, claim.predicate);
  const bundle = await signStatement(statement, { privateKey, publicKey, hint: keyId(publicKey), ...(certificate ? { certificate } : {}) });
  return pushBundle(client, image.repository, image.descriptor, bundle, claim.predicateType);
}

/**
 * Finds every signature of `image` in the Hub and checks each against `keys`.
 *
 * @example
 * const checked = await verifyImage(client, image, [{ name: 'ci.pub', publicKey }]);
 * checked.filter((c) => c.verdict.valid).length; // valid signatures
 */
export async function verifyImage(client: HubClient, image: SignedImage, keys: readonly TrustedKey[], keyless?: KeylessTrust): Promise<CheckedSignature[]> {
  return checkSignatures(await findSignatures(clientSource(client, image.repository), image.descriptor.digest), image.descriptor.digest, keys, keyless);
}
