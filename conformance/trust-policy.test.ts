/**
 * Trust policies end to end over HTTP: a namespace's policy set through /api/v1, images signed
 * with `nocker sign`'s code, and what a manifest GET then gets under enforce, warn and off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToSign, signImage } from '../engine/sign/image.ts';
import { generateSigningKeyPair, loadPrivateKey } from '../engine/sign/keys.ts';
import { makeCa, makeLeaf } from '../engine/sign/testing.ts';
import { pushSampleImage, startCliTestHub, type CliTestHub } from '../cli/testing.ts';

let cli: CliTestHub;
const alice = generateSigningKeyPair();
const bob = generateSigningKeyPair();
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

async function setPolicy(namespace: string, body: { mode: string; keys: { name: string; pem: string }[]; required: number }, environment = 'production'): Promise<void> {
  await cli.admin().api('PUT', `/api/v1/namespaces/${namespace}/policies/${environment}`, body);
}

async function get(repository: string, reference: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return cli.admin().v2(method, `/v2/${repository}/manifests/${reference}`, { headers: { Accept: ACCEPT, ...headers } });
}

async function sign(repository: string, tag: string, pem: string): Promise<void> {
  const client = cli.admin();
  await signImage(client, await imageToSign(client, repository, tag), loadPrivateKey(pem));
}

beforeAll(async () => {
  cli = await startCliTestHub('trust-policy');
});
afterAll(async () => {
  await cli?.destroy();
});

describe('trust policies', () => {
  it('enforce: an unsigned image is refused with the reason, a signed one is served, signatures stay readable', async () => {
    const client = cli.admin();
    const unsigned = await pushSampleImage(client, 'secure/app', 'unsigned');
    const signedImage = await pushSampleImage(client, 'secure/app', 'signed');
    await setPolicy('secure', { mode: 'enforce', keys: [{ name: 'alice', pem: alice.publicKeyPem }], required: 1 });

    const refused = await get('secure/app', 'unsigned');
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('DENIED');
    expect(body.errors[0]?.message).toContain(`secure/app@${unsigned.digest} is not signed; the production trust policy of namespace "secure" requires 1 valid signature by its trusted keys (alice)`);
    // HEAD still answers, so that clients can find the digest and its signatures.
    expect((await get('secure/app', 'unsigned', {}, 'HEAD')).status).toBe(200);

    await sign('secure/app', 'signed', alice.privateKeyPem);
    const served = await get('secure/app', 'signed');
    expect(served.status).toBe(200);
    expect(served.headers.get('docker-content-digest')).toBe(signedImage.digest);

    // The signature artifact and the referrers list are readable under the policy.
    const referrers = (await (await client.v2('GET', `/v2/secure/app/referrers/${signedImage.digest}`)).json()) as { manifests: { digest: string }[] };
    expect(referrers.manifests).toHaveLength(1);
    expect((await get('secure/app', referrers.manifests[0]?.digest ?? '')).status).toBe(200);
  });

  it('enforce: a signature by an untrusted key, or too few signers, is refused saying so', async () => {
    const client = cli.admin();
    await pushSampleImage(client, 'strict/app', 'v1');
    await setPolicy('strict', { mode: 'enforce', keys: [{ name: 'alice', pem: alice.publicKeyPem }, { name: 'bob', pem: bob.publicKeyPem }], required: 2 });
    await sign('strict/app', 'v1', generateSigningKeyPair().privateKeyPem);
    const untrusted = await get('strict/app', 'v1');
    expect(untrusted.status).toBe(403);
    expect(await untrusted.text()).toContain('does not verify with any trusted key');

    await sign('strict/app', 'v1', alice.privateKeyPem);
    const one = await get('strict/app', 'v1');
    expect(one.status).toBe(403);
    expect(await one.text()).toContain('has 1 valid signature; the production trust policy of namespace \\"strict\\" requires 2 valid signatures');
    await sign('strict/app', 'v1', bob.privateKeyPem);
    expect((await get('strict/app', 'v1')).status).toBe(200);
  });

  it('warn serves and flags; off and other environments do not check', async () => {
    const client = cli.admin();
    await pushSampleImage(client, 'lenient/app', 'v1');
    await setPolicy('lenient', { mode: 'warn', keys: [{ name: 'alice', pem: alice.publicKeyPem }], required: 1 });
    const warned = await get('lenient/app', 'v1');
    expect(warned.status).toBe(200);
    expect(warned.headers.get('nocker-policy-warning')).toContain('is not signed');

    await setPolicy('lenient', { mode: 'enforce', keys: [{ name: 'alice', pem: alice.publicKeyPem }], required: 1 }, 'testing');
    expect((await get('lenient/app', 'v1', { 'Nocker-Environment': 'testing' })).status).toBe(403);
    await setPolicy('lenient', { mode: 'off', keys: [], required: 1 }, 'testing');
    const off = await get('lenient/app', 'v1', { 'Nocker-Environment': 'testing' });
    expect(off.status).toBe(200);
    expect(off.headers.get('nocker-policy-warning')).toBeNull();
  });

  it('enforce with keyless identities: a certificate from the trusted CA for an allowed subject passes, others do not', async () => {
    const client = cli.admin();
    await pushSampleImage(client, 'keyless/app', 'ci');
    await pushSampleImage(client, 'keyless/app', 'stranger');
    const ca = makeCa(cli.dir, 'policy-ca');
    const issuer = 'https://token.example.com';
    await client.api('PUT', '/api/v1/namespaces/keyless/policies/production', { mode: 'enforce', keys: [], roots: [{ name: 'ca', pem: ca.pem }], identities: [{ issuer, subject: 'https://ci\\.example\\.com/.+' }], required: 1 });
    const signWith = async (tag: string, subject: string) => {
      const leaf = makeLeaf(cli.dir, ca, `leaf-${tag}`, subject, issuer);
      await signImage(client, await imageToSign(client, 'keyless/app', tag), loadPrivateKey(leaf.keyPem), undefined, leaf.pem);
    };
    await signWith('ci', 'URI:https://ci.example.com/team/app');
    await signWith('stranger', 'email:someone@example.com');
    expect((await get('keyless/app', 'ci')).status).toBe(200);
    const refused = await get('keyless/app', 'stranger');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(`the signer someone@example.com (issuer ${issuer}) is not a trusted identity`);
  });

  it('reports each signature of an image with its status under the policy, for the catalog', async () => {
    const client = cli.admin();
    const image = await pushSampleImage(client, 'listed/app', 'v1');
    await sign('listed/app', 'v1', alice.privateKeyPem);
    await sign('listed/app', 'v1', bob.privateKeyPem);
    const path = `/api/v1/repositories/listed/app/manifests/${image.digest}/signatures`;
    const without = await client.api<{ policy: unknown; valid: unknown; signatures: { status: string }[] }>('GET', path);
    expect(without).toMatchObject({ policy: null, valid: null });
    expect(without.signatures.map((s) => s.status)).toEqual(['untrusted', 'untrusted']);

    await setPolicy('listed', { mode: 'enforce', keys: [{ name: 'alice', pem: alice.publicKeyPem }], required: 1 });
    const status = await client.api<{ valid: boolean; policy: { mode: string }; signatures: { status: string; signer?: string; kind: string; created?: string }[] }>('GET', path);
    expect(status).toMatchObject({ valid: true, policy: { mode: 'enforce' } });
    expect(status.signatures.map((s) => [s.status, s.signer, s.kind]).sort()).toEqual([['untrusted', undefined, 'signature'], ['valid', 'alice', 'signature']]);
    expect(status.signatures.every((s) => typeof s.created === 'string')).toBe(true);

    const unknown = await client.v2('GET', `/api/v1/repositories/listed/app/manifests/sha256:${'0'.repeat(64)}/signatures`);
    expect(unknown.status).toBe(404);
    const anonymous = await fetch(`${cli.hub.url}${path}`);
    expect(anonymous.status).toBe(401);
  });
});
