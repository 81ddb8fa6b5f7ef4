import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBundle, signStatement, type SigningKey } from './bundle.ts';
import { imageStatement, SIGNATURE_PREDICATE_TYPE } from './statement.ts';
import { verifyBundle, verifySimpleSigning } from './verify.ts';

const DIGEST = `sha256:${createHash('sha256').update('an image').digest('hex')}`;
const OTHER = `sha256:${createHash('sha256').update('another image').digest('hex')}`;

function signingKey(hint: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey, hint };
}

const alice = signingKey('alice');
const mallory = signingKey('mallory');
const trusted = [{ name: 'alice.pub', publicKey: alice.publicKey }];

async function signed(key: SigningKey, digest = DIGEST): Promise<Buffer> {
  return Buffer.from(JSON.stringify(await signStatement(imageStatement('127.0.0.1:5000/team/app', digest), key)));
}

describe('Sigstore bundles', () => {
  it('are v0.3 DSSE envelopes around an in-toto statement, with the key hint and no log entries', async () => {
    const json = JSON.parse((await signed(alice)).toString()) as Record<string, unknown>;
    expect(json).toMatchObject({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'alice' } },
      dsseEnvelope: { payloadType: 'application/vnd.in-toto+json', signatures: [{ keyid: '' }] },
    });
    expect((json.verificationMaterial as Record<string, unknown>).tlogEntries ?? []).toEqual([]);
    const statement = JSON.parse(Buffer.from((json.dsseEnvelope as { payload: string }).payload, 'base64').toString()) as Record<string, unknown>;
    expect(statement).toEqual({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: '127.0.0.1:5000/team/app', digest: { sha256: DIGEST.slice(7) } }], predicateType: SIGNATURE_PREDICATE_TYPE, predicate: {} });
  });

  it('verify with the trusted key, and only for the digest they name', async () => {
    const bundle = parseBundle(await signed(alice));
    expect(verifyBundle(bundle, DIGEST, trusted)).toEqual({ valid: true, signer: 'alice.pub', predicateType: SIGNATURE_PREDICATE_TYPE });
    expect(verifyBundle(bundle, OTHER, trusted)).toMatchObject({ valid: false, signer: 'alice.pub', reason: `the signature is for ${DIGEST}, not ${OTHER}` });
  });

  it('do not verify when signed by another key or altered', async () => {
    expect(verifyBundle(parseBundle(await signed(mallory)), DIGEST, trusted)).toMatchObject({ valid: false, reason: expect.stringContaining('does not verify with any trusted key') });
    // A statement for another image slipped into a bundle signed for this one.
    const json = JSON.parse((await signed(alice)).toString()) as { dsseEnvelope: { payload: string } };
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(imageStatement('x', OTHER))).toString('base64');
    expect(verifyBundle(parseBundle(Buffer.from(JSON.stringify(json))), OTHER, trusted)).toMatchObject({ valid: false, reason: expect.stringContaining('does not verify') });
  });

  it('refuse what is not a bundle with a clear error', () => {
    expect(() => parseBundle(Buffer.from('not json'))).toThrow('the signature is not JSON');
    expect(() => parseBundle(Buffer.from('{"mediaType":"x"}'))).toThrow('not a valid Sigstore bundle');
  });
});

describe("cosign's legacy simple signing", () => {
  const payload = (digest: string) => Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': '127.0.0.1:5000/team/app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
  const signature = (key: SigningKey, bytes: Buffer) => sign('sha256', bytes, key.privateKey).toString('base64');

  it('verifies with the trusted key for the digest the payload names', () => {
    const bytes = payload(DIGEST);
    expect(verifySimpleSigning(bytes, signature(alice, bytes), DIGEST, trusted)).toEqual({ valid: true, signer: 'alice.pub' });
    expect(verifySimpleSigning(bytes, signature(alice, bytes), OTHER, trusted)).toMatchObject({ valid: false, reason: `the signature is for ${DIGEST}, not ${OTHER}` });
  });

  it('does not verify with another key, or over another payload', () => {
    const bytes = payload(DIGEST);
    expect(verifySimpleSigning(bytes, signature(mallory, bytes), DIGEST, trusted).valid).toBe(false);
    expect(verifySimpleSigning(payload(OTHER), signature(alice, bytes), OTHER, trusted).valid).toBe(false);
  });
});
