/** `nocker hub policy …`: reading its flags, and the commands against a real Hub. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, SigningKeyError } from '../../engine/sign/keys.ts';
import { makeCa, makeLeaf, type TestCertificate } from '../../engine/sign/testing.ts';
import { HubAdmin } from '../../hub/client/admin.ts';
import { OciError } from '../../hub/oci/errors.ts';
import { thrownBy } from '../../hub/oci/thrown.ts';
import type { TrustPolicy } from '../../hub/policy/types.ts';
import { RootCertificateError } from '../../hub/policy/validate.ts';
import { hubAdminCommand } from '../hub-admin.ts';
import { type CliTestHub, run, startCliTestHub } from '../testing.ts';
import { UsageError } from '../usage.ts';
import { parsePolicyIdentity, parseRequired, readPolicyKey, readPolicyRoot } from './policy.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
let cli: CliTestHub;
let keys: string;
let ca: TestCertificate;
let leaf: TestCertificate;
/** Writes a fresh key pair as `NAME.pub` and `NAME.key` under the keys directory; returns the .pub path. */
const keyFile = async (name: string): Promise<string> => {
  const pair = generateSigningKeyPair();
  await writeFile(join(keys, `${name}.key`), pair.privateKeyPem);
  await writeFile(join(keys, `${name}.pub`), pair.publicKeyPem);
  return join(keys, `${name}.pub`);
};
const nocker = (argv: string[]) => run((args, io) => hubAdminCommand('policy', args, io), argv, cli.env);

beforeAll(async () => {
  cli = await startCliTestHub('hub-policy', ({ url }) => ({ NOCKER_HUB: url }));
  keys = join(cli.dir, 'keys');
  await mkdir(keys);
  ca = makeCa(keys, 'fulcio');
  leaf = makeLeaf(keys, ca, 'signer', 'email:ann@example.com', GITHUB);
  await new HubAdmin(cli.admin()).createNamespace({ name: 'team' });
});

afterAll(async () => {
  await cli?.destroy();
});

describe('reading --key and --required', () => {
  it('names a key after its file unless NAME= is given', async () => {
    const path = await keyFile('release');
    expect((await readPolicyKey(path)).name).toBe('release');
    const named = await readPolicyKey(`ci=${path}`);
    expect(named.name).toBe('ci');
    expect(named.pem).toContain('-----BEGIN PUBLIC KEY-----');
  });

  it('refuses files that are missing or not public keys, naming them', async () => {
    await keyFile('signer');
    await expect(readPolicyKey(join(keys, 'absent.pub'))).rejects.toThrow(/--key .*absent\.pub: cannot read .*absent\.pub \(ENOENT\)/);
    await expect(readPolicyKey(join(keys, 'signer.key'))).rejects.toThrow(SigningKeyError);
    await expect(readPolicyKey(join(keys, 'signer.key'))).rejects.toThrow(/signer\.key is a private key/);
  });

  it('reads --root like --key: one CA certificate, named after its file unless NAME= is given', async () => {
    expect(await readPolicyRoot(ca.certFile)).toEqual({ name: 'fulcio', pem: ca.pem });
    expect((await readPolicyRoot(`corp=${ca.certFile}`)).name).toBe('corp');
    await expect(readPolicyRoot(leaf.certFile)).rejects.toThrow(RootCertificateError);
    await expect(readPolicyRoot(leaf.certFile)).rejects.toThrow(/signer\.pem is not a CA certificate: .*leaf certificate/);
    await expect(readPolicyRoot(await keyFile('notca'))).rejects.toThrow(/notca\.pub is not a CA certificate: it holds a PUBLIC KEY block/);
    await expect(readPolicyRoot(join(keys, 'absent.pem'))).rejects.toThrow(/--root .*absent\.pem: cannot read/);
  });

  it('splits --identity at its first =, leaving any later one to the subject', () => {
    expect(parsePolicyIdentity(`${GITHUB}=https://github\\.com/team/.+`)).toEqual({ issuer: GITHUB, subject: 'https://github\\.com/team/.+' });
    expect(parsePolicyIdentity('https://issuer.example=(?=ann).+@example\\.com')).toEqual({ issuer: 'https://issuer.example', subject: '(?=ann).+@example\\.com' });
    for (const bad of [GITHUB, `=.+`, `${GITHUB}=`]) expect(thrownBy(() => parsePolicyIdentity(bad), UsageError).message).toMatch(/--identity .*: expected ISSUER=SUBJECT_REGEX/);
  });

  it('takes whole numbers of at least 1 for --required', () => {
    expect(parseRequired(undefined)).toBeUndefined();
    expect(parseRequired('2')).toBe(2);
    for (const bad of ['0', '-1', '1.5', 'two', '']) expect(thrownBy(() => parseRequired(bad), UsageError).message).toMatch(/--required/);
  });
});

describe('against a Hub', () => {
  it('sets, shows, lists and deletes policies; production is the default environment', async () => {
    const release = await keyFile('release');
    const cosign = await keyFile('cosign');
    const set = await nocker(['set', 'team', '--mode', 'enforce', '--key', release, '--key', `ci=${cosign}`, '--required', '2']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^environment: +production$/m);
    expect(set.stdout).toMatch(/^mode: +enforce$/m);
    expect(set.stdout).toMatch(/^required: +2 of 2 keys$/m);
    expect(set.stdout).toMatch(/^version: +1$/m);
    expect(set.stdout).toMatch(/^ {2}release {2}[0-9a-f]{16}$/m);
    expect(set.stdout).toMatch(/^ {2}ci {2}[0-9a-f]{16}$/m);

    const staged = JSON.parse((await nocker(['set', 'team', '--env', 'staging', '--mode', 'warn', '--key', release, '--json'])).stdout) as TrustPolicy;
    expect(staged).toMatchObject({ environment: 'staging', mode: 'warn', required: 1, version: 1 });
    expect((JSON.parse((await nocker(['set', 'team', '--env', 'staging', '--mode', 'off', '--json'])).stdout) as TrustPolicy).version).toBe(2);

    expect((await nocker(['show', 'team'])).stdout).toMatch(/^mode: +enforce$/m);
    expect(JSON.parse((await nocker(['show', 'team', '--env', 'staging', '--json'])).stdout)).toMatchObject({ mode: 'off', version: 2 });

    const list = (await nocker(['list', 'team'])).stdout.split('\n');
    expect(list[0]).toMatch(/^ENVIRONMENT +MODE +KEYS +REQUIRED +VERSION +UPDATED BY +UPDATED$/);
    expect(list[1]).toMatch(/^production +enforce +release,ci +2 +1 +admin +\d{4}-/);
    expect(list[2]).toMatch(/^staging +off +- +1 +2 +admin/);

    expect(await nocker(['delete', 'team', '--env', 'staging'])).toEqual({ code: 0, stdout: 'Deleted the trust policy of team for staging\n', stderr: '' });
    const gone = (await nocker(['show', 'team', '--env', 'staging']).catch((e: unknown) => e)) as OciError;
    expect(gone).toBeInstanceOf(OciError);
    expect(gone.message).toMatch(/team has no trust policy for environment staging/);
    expect(JSON.parse((await nocker(['list', 'team', '--json'])).stdout).policies).toHaveLength(1);
  });

  it('sets and shows keyless signers: roots with their fingerprints, identities', async () => {
    const subject = 'https://github\\.com/team/.+';
    const set = await nocker(['set', 'team', '--env', 'keyless', '--mode', 'enforce', '--root', ca.certFile, '--identity', `${GITHUB}=${subject}`, '--identity', 'https://accounts.google.com=.+@example\\.com', '--required', '2']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^required: +2 of 2 identities$/m);
    const shown = (await nocker(['show', 'team', '--env', 'keyless'])).stdout;
    expect(shown).toBe(set.stdout);
    expect(shown).not.toMatch(/^keys:/m);
    expect(shown).toMatch(/^roots:\n {2}fulcio {2}[0-9a-f]{16}\n/m);
    expect(shown).toContain(`identities:\n  ${GITHUB}  ${subject}\n  https://accounts.google.com  .+@example\\.com\n`);
    const json = JSON.parse((await nocker(['show', 'team', '--env', 'keyless', '--json'])).stdout) as TrustPolicy;
    expect(json).toMatchObject({ roots: [{ name: 'fulcio', pem: ca.pem }], identities: [{ issuer: GITHUB, subject }, { issuer: 'https://accounts.google.com' }] });

    const alone = (await nocker(['set', 'team', '--env', 'keyless', '--mode', 'enforce', '--identity', `${GITHUB}=.+`]).catch((e: unknown) => e)) as OciError;
    expect(alone).toBeInstanceOf(OciError);
    expect(alone.message).toMatch(/identities need at least one root/);
    expect(await nocker(['delete', 'team', '--env', 'keyless'])).toMatchObject({ code: 0 });
  });

  it('passes on what the Hub refuses, and refuses a command line without --mode', async () => {
    const only = await keyFile('only');
    const refused = (await nocker(['set', 'team', '--mode', 'enforce', '--key', only, '--required', '3']).catch((e: unknown) => e)) as OciError;
    expect(refused).toBeInstanceOf(OciError);
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/required is 3 but only 1 trusted key is given/);
    await expect(nocker(['set', 'team'])).rejects.toThrow('policy set: give --mode enforce|warn|off');
    await expect(nocker(['set', 'team', '--mode', 'strict'])).rejects.toThrow('--mode: expected enforce, warn, off');
    await expect(nocker(['show'])).rejects.toThrow(UsageError);
  });
});
