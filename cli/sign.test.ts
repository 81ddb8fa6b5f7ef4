/** `nocker sign`, `attest` and `verify` against a real Hub. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStatement, type SigningKey } from '../engine/sign/bundle.ts';
import { imageToSign } from '../engine/sign/image.ts';
import { generateSigningKeyPair, keyId, readPrivateKeyFile, readPublicKeyFile } from '../engine/sign/keys.ts';
import { pushBundle } from '../engine/sign/oci.ts';
import { imageStatement, SIGNATURE_PREDICATE_TYPE } from '../engine/sign/statement.ts';
import { makeCa, makeLeaf } from '../engine/sign/testing.ts';
import { buildCommand } from './build.ts';
import { attestCommand, signCommand } from './sign.ts';
import { pushSampleImage, run, startCliTestHub, type CliTestHub } from './testing.ts';
import { UsageError } from './usage.ts';
import { verifyCommand } from './verify.ts';

let cli: CliTestHub;
let keys: { ours: { key: string; pub: string }; theirs: { key: string; pub: string } };

interface VerifyJson {
  valid: boolean;
  digest: string;
  signatures: { format: string; valid: boolean; signer?: string; reason?: string; predicateType?: string; created?: string }[];
}

async function keyPair(name: string): Promise<{ key: string; pub: string }> {
  const pair = generateSigningKeyPair();
  const key = join(cli.dir, `${name}.key`);
  const pub = join(cli.dir, `${name}.pub`);
  await writeFile(key, pair.privateKeyPem);
  await writeFile(pub, pair.publicKeyPem);
  return { key, pub };
}

/** Our key pair as the engine signs with it, for bundles a test shapes itself. */
async function ourSigningKey(): Promise<SigningKey> {
  const publicKey = await readPublicKeyFile(keys.ours.pub);
  return { privateKey: await readPrivateKeyFile(keys.ours.key, {}), publicKey, hint: keyId(publicKey) };
}

async function verify(ref: string, ...pubs: string[]): Promise<{ code: number; json: VerifyJson }> {
  const result = await run(verifyCommand, [ref, ...pubs.flatMap((p) => ['--key', p]), '--json'], cli.env);
  return { code: result.code, json: JSON.parse(result.stdout) as VerifyJson };
}

beforeAll(async () => {
  cli = await startCliTestHub('sign-cli');
  keys = { ours: await keyPair('ours'), theirs: await keyPair('theirs') };
});
afterAll(async () => {
  await cli?.destroy();
});

describe('nocker sign and verify', () => {
  it('signs an image with a bundle referrer that verifies with the key, and only with it', async () => {
    const image = await pushSampleImage(cli.admin(), 'signed/app', 'v1');
    const ref = `${cli.host}/signed/app:v1`;
    const signed = await run(signCommand, [ref, '--key', keys.ours.key], cli.env);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain(`signed ${cli.host}/signed/app@${image.digest} with ${keys.ours.key}`);
    const artifact = signed.stdout.trim();

    const referrers = (await (await cli.admin().v2('GET', `/v2/signed/app/referrers/${image.digest}`)).json()) as { manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] };
    expect(referrers.manifests).toEqual([
      expect.objectContaining({ digest: artifact, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: expect.objectContaining({ 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': SIGNATURE_PREDICATE_TYPE }) }),
    ]);

    const good = await verify(ref, keys.ours.pub);
    expect(good.code).toBe(0);
    expect(good.json).toMatchObject({ valid: true, digest: image.digest, signatures: [{ format: 'bundle', valid: true, signer: keys.ours.pub, predicateType: SIGNATURE_PREDICATE_TYPE }] });
    expect(good.json.signatures[0]?.created).toMatch(/^\d{4}-\d\d-\d\dT/);

    const untrusted = await verify(ref, keys.theirs.pub);
    expect(untrusted.code).toBe(1);
    expect(untrusted.json.signatures[0]).toMatchObject({ valid: false, reason: expect.stringContaining('does not verify with any trusted key') });
    const plain = await run(verifyCommand, [ref, '--key', keys.theirs.pub], cli.env);
    expect(plain.stdout).toContain('not valid: signature');
    expect(plain.stderr).toContain('no valid signature by a trusted key');
  });

  it('finds no signature on an unsigned image, and says so', async () => {
    await pushSampleImage(cli.admin(), 'signed/unsigned', 'v1');
    const result = await run(verifyCommand, [`${cli.host}/signed/unsigned:v1`, '--key', keys.ours.pub], cli.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the image is not signed');
  });

  it('refuses a signature for another image, pushed as a referrer of this one', async () => {
    const client = cli.admin();
    const a = await imageToSign(client, 'signed/a', (await pushSampleImage(client, 'signed/a', 'v1')).digest);
    const b = await imageToSign(client, 'signed/a', (await pushSampleImage(client, 'signed/a', 'v2')).digest);
    const bundle = await signStatement(imageStatement(a.name, a.descriptor.digest), await ourSigningKey());
    await pushBundle(client, 'signed/a', b.descriptor, bundle, SIGNATURE_PREDICATE_TYPE);
    const result = await verify(`${cli.host}/signed/a:v2`, keys.ours.pub);
    expect(result.code).toBe(1);
    expect(result.json.signatures[0]).toMatchObject({ valid: false, signer: keys.ours.pub, reason: `the signature is for ${a.descriptor.digest}, not ${b.descriptor.digest}` });
  });

  it('refuses a tampered bundle', async () => {
    const client = cli.admin();
    const image = await imageToSign(client, 'signed/tampered', (await pushSampleImage(client, 'signed/tampered', 'v1')).digest);
    const bundle = await signStatement(imageStatement(image.name, image.descriptor.digest), await ourSigningKey());
    // The same statement with one more subject: the signature no longer matches the payload.
    const statement = imageStatement(image.name, image.descriptor.digest);
    statement.subject.push({ name: 'extra', digest: { sha256: '1'.repeat(64) } });
    const tampered = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') } } as typeof bundle;
    await pushBundle(client, 'signed/tampered', image.descriptor, tampered, SIGNATURE_PREDICATE_TYPE);
    const result = await verify(`${cli.host}/signed/tampered:v1`, keys.ours.pub);
    expect(result.code).toBe(1);
    expect(result.json.signatures[0]).toMatchObject({ valid: false, reason: expect.stringContaining('does not verify') });
  });

  it('attests a predicate, which verify lists but does not count as a signature', async () => {
    await pushSampleImage(cli.admin(), 'signed/attested', 'v1');
    const ref = `${cli.host}/signed/attested:v1`;
    const predicate = join(cli.dir, 'sbom.json');
    await writeFile(predicate, JSON.stringify({ packages: [{ name: 'busybox', version: '1.35' }] }));
    const attested = await run(attestCommand, [ref, '--predicate', predicate, '--type', 'https://spdx.dev/Document', '--key', keys.ours.key, '--json'], cli.env);
    expect(attested.code, attested.stderr).toBe(0);
    expect(JSON.parse(attested.stdout)).toMatchObject({ predicateType: 'https://spdx.dev/Document' });
    const result = await verify(ref, keys.ours.pub);
    expect(result.code).toBe(1);
    expect(result.json.signatures).toEqual([expect.objectContaining({ valid: true, predicateType: 'https://spdx.dev/Document' })]);
    expect((await run(signCommand, [ref, '--key', keys.ours.key, '-q'], cli.env)).code).toBe(0);
    expect((await verify(ref, keys.ours.pub)).code).toBe(0);
  });

  it('nocker build --push --sign pushes the image signed', async () => {
    const project = join(cli.dir, 'project');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'hello.txt'), 'hello\n');
    await writeFile(join(project, 'Nockerfile.yml'), 'version: "1.0"\nname: signed/built\nbuild:\n  base: scratch\n  steps:\n    - copy: hello.txt /hello.txt\n');
    const file = join(project, 'Nockerfile.yml');
    await expect(run(buildCommand, ['-f', file, '--sign', '--key', keys.ours.key, '--hub', cli.hub.url], cli.env)).rejects.toThrow('add --push');
    await expect(run(buildCommand, ['-f', file, '--push', '--sign', '--hub', cli.hub.url], cli.env)).rejects.toThrow('--sign needs --key KEY');
    const built = await run(buildCommand, ['-f', file, '--push', '--sign', '--key', keys.ours.key, '--hub', cli.hub.url, '--json'], cli.env);
    expect(built.code, built.stderr).toBe(0);
    const result = JSON.parse(built.stdout) as { digest: string; signature: string };
    expect(result.signature).toMatch(/^sha256:/);
    const checked = await verify(`${cli.host}/signed/built:latest`, keys.ours.pub);
    expect(checked.json).toMatchObject({ valid: true, digest: result.digest });
  });

  it('without --key, asks the Hub how the image stands under its trust policy', async () => {
    await pushSampleImage(cli.admin(), 'policed/app', 'v1');
    const ref = `${cli.host}/policed/app:v1`;
    await expect(run(verifyCommand, [ref], cli.env)).rejects.toThrow('namespace policed has no trust policy for production on the Hub; give the trusted keys with --key PUB');
    await cli.admin().api('PUT', '/api/v1/namespaces/policed/policies/production', { mode: 'warn', keys: [{ name: 'ours', pem: await readFile(keys.ours.pub, 'utf8') }], required: 1 });
    const unsigned = await run(verifyCommand, [ref], cli.env);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('the image is not signed');
    expect((await run(signCommand, [ref, '--key', keys.ours.key, '-q'], cli.env)).code).toBe(0);
    const signed = await run(verifyCommand, [ref, '--env', 'production'], cli.env);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain('under the production policy of policed (warn, 1 required)');
    expect(signed.stdout).toMatch(/valid: signature [0-9a-f]{12} \(bundle\) signed by ours at /);
    await expect(run(verifyCommand, [ref, '--env', 'production', '--key', keys.ours.pub], cli.env)).rejects.toThrow(UsageError);
  });

  it('signs with a certificate, which verify trusts through --ca and --identity', async () => {
    await pushSampleImage(cli.admin(), 'signed/keyless', 'v1');
    const ref = `${cli.host}/signed/keyless:v1`;
    const ca = makeCa(cli.dir, 'ca');
    const leaf = makeLeaf(cli.dir, ca, 'dev', 'email:dev@example.com', 'https://token.example.com');
    const signed = await run(signCommand, [ref, '--key', leaf.keyFile, '--certificate', leaf.certFile], cli.env);
    expect(signed.code, signed.stderr).toBe(0);
    const trusted = await run(verifyCommand, [ref, '--ca', ca.certFile, '--identity', 'https://token.example.com=.+@example\\.com', '--json'], cli.env);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ valid: true, signatures: [{ valid: true, signer: 'dev@example.com' }] });
    const stranger = await run(verifyCommand, [ref, '--ca', ca.certFile, '--identity', 'https://token.example.com=ops@example\\.com'], cli.env);
    expect(stranger.code).toBe(1);
    expect(stranger.stdout).toContain('is not a trusted identity');
    await expect(run(verifyCommand, [ref, '--ca', ca.certFile], cli.env)).rejects.toThrow('keyless trust needs both');
  });

  it('after the image is deleted: its signature artifacts are still listed as referrers, and verify says the image is gone', async () => {
    const client = cli.admin();
    const image = await pushSampleImage(client, 'signed/deleted', 'v1');
    const ref = `${cli.host}/signed/deleted:v1`;
    expect((await run(signCommand, [ref, '--key', keys.ours.key, '-q'], cli.env)).code).toBe(0);
    const deleted = await client.v2('DELETE', `/v2/signed/deleted/manifests/${image.digest}`);
    expect(deleted.status).toBe(202);
    // The referrers index answers for a subject that is not (or no longer) there, as the spec allows.
    const referrers = await client.v2('GET', `/v2/signed/deleted/referrers/${image.digest}`);
    expect(referrers.status).toBe(200);
    expect(((await referrers.json()) as { manifests: unknown[] }).manifests).toHaveLength(1);
    await expect(run(verifyCommand, [`${cli.host}/signed/deleted@${image.digest}`, '--key', keys.ours.pub], cli.env)).rejects.toThrow(`signed/deleted@${image.digest} is not on the Hub at ${cli.host}`);
  });

  it('says what is missing on its command line', async () => {
    await expect(run(signCommand, [`${cli.host}/signed/app:v1`], cli.env)).rejects.toThrow(UsageError);
    await expect(run(attestCommand, [`${cli.host}/signed/app:v1`, '--key', keys.ours.key], cli.env)).rejects.toThrow('--predicate FILE and --type URI');
    expect((await run(signCommand, ['--help'], cli.env)).stdout).toContain('Example:');
  });
});
