/** Keyless trust: certificate-signed bundles checked against trusted CAs and identities, offline. */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBundle, signStatement } from './bundle.ts';
import { checkCertificate, type KeylessTrust } from './identity.ts';
import { imageStatement, SIGNATURE_PREDICATE_TYPE } from './statement.ts';
import { makeCa, makeLeaf, type TestCertificate } from './testing.ts';
import { verifyBundle } from './verify.ts';

const dir = mkdtempSync(join(tmpdir(), 'nocker-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ISSUER = 'https://token.example.com';
const DIGEST = `sha256:${createHash('sha256').update('an image').digest('hex')}`;
const ca = makeCa(dir, 'trusted-ca');
const otherCa = makeCa(dir, 'other-ca');
const alice = makeLeaf(dir, ca, 'alice', 'email:alice@example.com', ISSUER);
const ci = makeLeaf(dir, ca, 'ci', 'URI:https://ci.example.com/team/app/.ci/release', ISSUER);
const stranger = makeLeaf(dir, otherCa, 'stranger', 'email:alice@example.com', ISSUER);
const trust: KeylessTrust = { roots: [{ name: 'trusted-ca', pem: ca.pem }], identities: [{ issuer: ISSUER, subject: '.+@example\\.com' }, { issuer: ISSUER, subject: 'https://ci\\.example\\.com/team/.+' }] };

async function bundleFrom(leaf: TestCertificate, digest = DIGEST) {
  const privateKey = createPrivateKey(leaf.keyPem);
  const json = await signStatement(imageStatement('127.0.0.1:5000/team/app', digest), { privateKey, publicKey: createPublicKey(privateKey), hint: '', certificate: leaf.pem });
  return parseBundle(Buffer.from(JSON.stringify(json)));
}

describe('keyless trust', () => {
  it('accepts a certificate from a trusted CA for an allowed identity, by email or URI', async () => {
    expect(verifyBundle(await bundleFrom(alice), DIGEST, [], trust)).toEqual({ valid: true, signer: 'alice@example.com', predicateType: SIGNATURE_PREDICATE_TYPE });
    expect(verifyBundle(await bundleFrom(ci), DIGEST, [], trust)).toMatchObject({ valid: true, signer: 'https://ci.example.com/team/app/.ci/release' });
  });

  it('refuses an untrusted CA, another identity or issuer, and no CA at all', async () => {
    expect(verifyBundle(await bundleFrom(stranger), DIGEST, [], trust)).toMatchObject({ valid: false, reason: 'the signing certificate does not chain to a trusted CA' });
    const onlyCi = { ...trust, identities: [{ issuer: ISSUER, subject: 'https://ci\\.example\\.com/.+' }] };
    expect(verifyBundle(await bundleFrom(alice), DIGEST, [], onlyCi)).toMatchObject({ valid: false, reason: `the signer alice@example.com (issuer ${ISSUER}) is not a trusted identity` });
    const otherIssuer = { ...trust, identities: [{ issuer: 'https://elsewhere.example.com', subject: '.+' }] };
    expect(verifyBundle(await bundleFrom(alice), DIGEST, [], otherIssuer).valid).toBe(false);
    expect(verifyBundle(await bundleFrom(alice), DIGEST, [])).toMatchObject({ valid: false, reason: 'signed with a certificate, and no CA is trusted' });
  });

  it('refuses an expired certificate, a signature for another digest, and an altered statement', async () => {
    const bundle = await bundleFrom(alice);
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect(checkCertificate(bundle, trust, later)).toMatchObject({ ok: false, reason: expect.stringContaining('certificate of the signer is not valid at') });
    expect(verifyBundle(bundle, `sha256:${'0'.repeat(64)}`, [], trust)).toMatchObject({ valid: false, signer: 'alice@example.com' });
    const json = JSON.parse(JSON.stringify(await signStatement(imageStatement('x', DIGEST), { privateKey: createPrivateKey(alice.keyPem), publicKey: createPublicKey(alice.keyPem), hint: '', certificate: alice.pem }))) as { dsseEnvelope: { payload: string } };
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(imageStatement('y', DIGEST))).toString('base64');
    expect(verifyBundle(parseBundle(Buffer.from(JSON.stringify(json))), DIGEST, [], trust)).toMatchObject({ valid: false, reason: 'the signature does not verify with its certificate (altered)' });
  });
});
