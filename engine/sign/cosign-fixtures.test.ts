/**
 * Signatures the real cosign 2.5 binary pushed (saved byte for byte under
 * conformance/fixtures/cosign/, see its README) verify with nocker's verifiers, and only for the
 * image they sign.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from './bundle.ts';
import { loadPublicKey } from './keys.ts';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from './oci.ts';
import { SIGNATURE_PREDICATE_TYPE } from './statement.ts';
import { verifyBundle, verifySimpleSigning, type TrustedKey } from './verify.ts';

const FIXTURES = join(import.meta.dirname, '../../conformance/fixtures/cosign');
const read = (mode: string, file: string) => readFileSync(join(FIXTURES, mode, file));
const subject = (mode: string) => read(mode, 'subject.txt').toString().trim();
const key = (mode: string, file = 'cosign.pub'): TrustedKey[] => [{ name: file, publicKey: loadPublicKey(read(mode, file).toString()) }];
const OTHER = `sha256:${'0'.repeat(64)}`;

/** The simple-signing layer's signature annotation in a saved cosign manifest. */
function signatureOf(mode: string): string {
  const manifest = JSON.parse(read(mode, 'manifest.json').toString()) as { layers: { mediaType: string; annotations?: Record<string, string> }[] };
  const layer = manifest.layers.find((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  return layer?.annotations?.[COSIGN_SIGNATURE_ANNOTATION] ?? '';
}

describe("cosign's signatures", () => {
  it.each(['legacy', 'referrers-simplesigning'])('simple signing (%s) verifies with cosign.pub for the signed digest only', (mode) => {
    const payload = read(mode, 'payload.json');
    expect(verifySimpleSigning(payload, signatureOf(mode), subject(mode), key(mode))).toEqual({ valid: true, signer: 'cosign.pub' });
    expect(verifySimpleSigning(payload, signatureOf(mode), OTHER, key(mode)).valid).toBe(false);
    expect(verifySimpleSigning(payload, signatureOf(mode), subject(mode), key('crafted-bundle-sign', 'key.pub')).valid).toBe(false);
  });

  it('a bundle attestation (cosign attest --new-bundle-format) verifies as an attestation', () => {
    const bundle = parseBundle(read('bundle-attest', 'bundle.json'));
    expect(verifyBundle(bundle, subject('bundle-attest'), key('bundle-attest'))).toEqual({ valid: true, signer: 'cosign.pub', predicateType: 'https://cosign.sigstore.dev/attestation/v1' });
    expect(verifyBundle(bundle, OTHER, key('bundle-attest')).valid).toBe(false);
  });

  it('the bundle shape cosign verify-attestation accepts is the shape nocker signs', () => {
    const bundle = parseBundle(read('crafted-bundle-sign', 'bundle.json'));
    expect(verifyBundle(bundle, subject('crafted-bundle-sign'), key('crafted-bundle-sign', 'key.pub'))).toEqual({ valid: true, signer: 'key.pub', predicateType: SIGNATURE_PREDICATE_TYPE });
  });
});
