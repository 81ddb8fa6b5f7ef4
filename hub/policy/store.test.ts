import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';
import { generateSigningKeyPair } from '../../engine/sign/keys.ts';
import { makeCa, makeLeaf, type TestCertificate } from '../../engine/sign/testing.ts';
import { OciError } from '../oci/errors.ts';
import { thrownBy } from '../oci/thrown.ts';
import type { TrustPolicyStore } from './store.ts';
import { parsePolicyInput, validateEnvironment } from './validate.ts';

const pem = () => generateSigningKeyPair().publicKeyPem;

const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github\\.com/team/.+';
let certificates: string;
let ca: TestCertificate;
let otherCa: TestCertificate;
let leaf: TestCertificate;
beforeAll(() => {
  certificates = mkdtempSync(join(tmpdir(), 'nocker-policy-'));
  ca = makeCa(certificates, 'corp-ca');
  otherCa = makeCa(certificates, 'other-ca');
  leaf = makeLeaf(certificates, ca, 'leaf', 'email:ann@example.com', ISSUER);
});
afterAll(() => rmSync(certificates, { recursive: true, force: true }));

describe('parsePolicyInput', () => {
  it('takes the three modes, public keys of the kinds nocker verifies, and a default of one signature', () => {
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const parsed = parsePolicyInput({ mode: 'enforce', keys: [{ name: 'a', pem: pem() }, { name: 'b', pem: ed25519 }, { name: 'c', pem: rsa }], required: 2 });
    expect(parsed.keys.map((k) => k.name)).toEqual(['a', 'b', 'c']);
    expect(parsed.required).toBe(2);
    expect(parsePolicyInput({ mode: 'warn', keys: [{ name: 'a', pem: pem() }] }).required).toBe(1);
    expect(parsePolicyInput({ mode: 'off' })).toEqual({ mode: 'off', keys: [], roots: [], identities: [], required: 1 });
  });

  it('takes roots with identities, alone or beside keys; required counts keys and identities', () => {
    const identities = [{ issuer: ISSUER, subject: SUBJECT }, { issuer: 'https://accounts.google.com', subject: '.+@example\\.com' }];
    const keyless = parsePolicyInput({ mode: 'enforce', roots: [{ name: 'corp', pem: ca.pem }], identities });
    expect(keyless).toEqual({ mode: 'enforce', keys: [], roots: [{ name: 'corp', pem: ca.pem }], identities, required: 1 });
    const both = parsePolicyInput({ mode: 'warn', keys: [{ name: 'a', pem: pem() }], roots: [{ name: 'corp', pem: ca.pem }, { name: 'other', pem: otherCa.pem }], identities, required: 3 });
    expect(both.required).toBe(3);
    expect(both.roots.map((r) => r.name)).toEqual(['corp', 'other']);
  });

  it('keeps only the certificate block of a root', () => {
    const root = parsePolicyInput({ mode: 'warn', roots: [{ name: 'corp', pem: `subject=CN=corp-ca\n${ca.pem}\n` }], identities: [{ issuer: ISSUER, subject: SUBJECT }] }).roots[0];
    expect(root?.pem).toBe(ca.pem);
  });

  it('keeps only the public key block, as Node writes it', () => {
    const key = pem();
    expect(parsePolicyInput({ mode: 'warn', keys: [{ name: 'a', pem: `# release key\n${key}\n\n` }] }).keys[0]?.pem).toBe(key);
  });

  it('refuses what it cannot enforce, naming the field', () => {
    const one = pem();
    const { privateKeyPem } = generateSigningKeyPair();
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const cases: [unknown, string, RegExp][] = [
      [[], 'policy', /JSON object/],
      [{ mode: 'strict', keys: [] }, 'mode', /mode must be one of enforce, warn, off, got "strict"/],
      [{ keys: [] }, 'mode', /mode must be one of/],
      [{ mode: 'enforce', keys: [] }, 'keys', /mode enforce needs at least one trusted key/],
      [{ mode: 'enforce', keys: 'a.pub' }, 'keys', /keys must be a list/],
      [{ mode: 'enforce', keys: [{ name: '', pem: one }] }, 'keys[0].name', /non-empty name/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: one }, { name: 'a', pem: pem() }] }, 'keys[1].name', /two keys are named "a"/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: one }, { name: 'b', pem: one }] }, 'keys[1].pem', /keys "a" and "b" are the same public key/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: 'hello' }] }, 'keys[0].pem', /key "a" is not a PEM public key/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: privateKeyPem }] }, 'keys[0].pem', /key "a" is a private key: give the public key/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: weakRsa }] }, 'keys[0].pem', /key "a" is an RSA key of 1024 bits/],
      [{ mode: 'enforce', keys: [{ name: 'a' }] }, 'keys[0].pem', /PEM text/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: one }], required: 2 }, 'required', /required is 2 but only 1 trusted key is given/],
      [{ mode: 'off', keys: [], required: 0 }, 'required', /at least 1/],
      [{ mode: 'warn', keys: [{ name: 'a', pem: one }], required: 1.5 }, 'required', /whole number/],
      ...rootAndIdentityCases(one),
    ];
    for (const [input, field, message] of cases) {
      const err = thrownBy(() => parsePolicyInput(input), OciError);
      expect(err.code, JSON.stringify(input)).toBe('REQUEST_INVALID');
      expect(err.message).toMatch(message);
      expect(err.detail).toEqual({ field });
    }
  });

  /** Refusals of roots and identities, beside valid ones so that each case fails for one reason. */
  function rootAndIdentityCases(key: string): [unknown, string, RegExp][] {
    const root = { name: 'corp', pem: ca.pem };
    const identity = { issuer: ISSUER, subject: SUBJECT };
    const keyless = (roots: unknown, identities: unknown = [identity]) => ({ mode: 'enforce', roots, identities });
    return [
      [keyless([{ name: 'corp', pem: leaf.pem }]), 'roots[0].pem', /root "corp" is not a CA certificate: .*leaf certificate/],
      [keyless([{ name: 'corp', pem: key }]), 'roots[0].pem', /root "corp" is not a CA certificate: it holds a PUBLIC KEY block/],
      [keyless([{ name: 'corp', pem: 'hello' }]), 'roots[0].pem', /root "corp" is not a CA certificate: it holds no PEM certificate/],
      [keyless([{ name: 'corp', pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }]), 'roots[0].pem', /root "corp" is not a CA certificate: it cannot be read/],
      [keyless([{ name: 'corp', pem: ca.pem + otherCa.pem }]), 'roots[0].pem', /root "corp" is not a CA certificate: it holds 2 certificates/],
      [keyless([{ name: 'corp' }]), 'roots[0].pem', /roots\[0\]\.pem must be the PEM text of a CA certificate/],
      [keyless([{ name: '', pem: ca.pem }]), 'roots[0].name', /non-empty name/],
      [keyless([root, { name: 'corp', pem: otherCa.pem }]), 'roots[1].name', /two roots are named "corp"/],
      [keyless([root, { name: 'again', pem: ca.pem }]), 'roots[1].pem', /roots "corp" and "again" are the same certificate/],
      [keyless('ca.pem'), 'roots', /roots must be a list/],
      [keyless([root], 'x'), 'identities', /identities must be a list/],
      [keyless([root], ['x']), 'identities[0]', /identities\[0\] must be an object with issuer and subject/],
      [keyless([root], [{ subject: SUBJECT }]), 'identities[0].issuer', /identities\[0\]\.issuer must be the OIDC issuer/],
      [keyless([root], [{ issuer: ` ${ISSUER}`, subject: SUBJECT }]), 'identities[0].issuer', /without spaces around/],
      [keyless([root], [{ issuer: 'x'.repeat(513), subject: SUBJECT }]), 'identities[0].issuer', /at most 512 characters/],
      [keyless([root], [{ issuer: ISSUER, subject: '' }]), 'identities[0].subject', /identities\[0\] \(issuer https:\/\/token\S+\): subject must be a regular expression of 1 to 512 characters/],
      [keyless([root], [{ issuer: ISSUER, subject: '(team' }]), 'identities[0].subject', /subject "\(team" is not a valid regular expression \(Unterminated group\)/],
      // Valid once wrapped in ^(?:…)$, but it would then match any subject starting with "a".
      [keyless([root], [{ issuer: ISSUER, subject: 'a)|(b' }]), 'identities[0].subject', /subject "a\)\|\(b" is not a valid regular expression/],
      [keyless([root], [identity, { ...identity }]), 'identities[1]', /identities\[0\] and identities\[1\] are the same signer/],
      [keyless([], [identity]), 'roots', /identities need at least one root/],
      [{ mode: 'off', identities: [identity] }, 'roots', /identities need at least one root/],
      [{ mode: 'enforce', keys: [{ name: 'a', pem: key }], roots: [root] }, 'identities', /roots are of no use without identities/],
      [{ mode: 'warn', roots: [], identities: [] }, 'keys', /mode warn needs at least one trusted key, or roots and identities for keyless signing/],
      [{ ...keyless([root]), required: 2 }, 'required', /required is 2 but only 1 identity is given/],
      [{ ...keyless([root]), keys: [{ name: 'a', pem: key }], required: 3 }, 'required', /required is 3 but only 1 trusted key and 1 identity are given/],
    ];
  }

  it('takes short lowercase environment names only', () => {
    for (const good of ['production', 'staging-2', 'a']) expect(validateEnvironment(good)).toBe(good);
    for (const bad of ['', 'Prod', '2nd', 'prod_eu', 'a'.repeat(33), 'prod/eu']) {
      expect(thrownBy(() => validateEnvironment(bad), OciError).message).toMatch(/not a valid environment name/);
    }
  });
});

describe('trust policy store', () => {
  const backends = useTestBackends();
  let policies: TrustPolicyStore;
  beforeAll(async () => {
    policies = backends().access.policies;
    await backends().access.namespaces.create('team', {}, undefined);
    await backends().access.namespaces.create('other', {}, undefined);
  });

  it('creates a policy at version 1 and raises the version on every change', async () => {
    const key = { name: 'release', pem: pem() };
    const created = await policies.put('team', 'production', { mode: 'warn', keys: [key], required: 1 }, 'ann');
    expect(created).toMatchObject({ namespace: 'team', environment: 'production', mode: 'warn', keys: [key], required: 1, version: 1, updatedBy: 'ann' });
    expect(Date.parse(created.updatedAt)).not.toBeNaN();

    const second = { name: 'ci', pem: pem() };
    const changed = await policies.put('team', 'production', { mode: 'enforce', keys: [key, second], required: 2 }, 'bob');
    expect(changed).toMatchObject({ mode: 'enforce', required: 2, version: 2, updatedBy: 'bob' });
    expect((await policies.put('team', 'production', { mode: 'enforce', keys: [key, second], required: 2 }, 'bob')).version).toBe(3);
    expect(await policies.find('team', 'production')).toMatchObject({ mode: 'enforce', keys: [key, second], version: 3 });
  });

  it('stores roots and identities, and reads older policies as having none', async () => {
    const roots = [{ name: 'corp', pem: ca.pem }];
    const identities = [{ issuer: ISSUER, subject: SUBJECT }];
    const created = await policies.put('team', 'keyless', { mode: 'enforce', keys: [], roots, identities, required: 1 }, 'ann');
    expect(created).toMatchObject({ mode: 'enforce', keys: [], roots, identities, version: 1 });
    expect(await policies.find('team', 'keyless')).toEqual(created);
    // Replacing the policy without them removes them.
    const key = { name: 'release', pem: pem() };
    expect(await policies.put('team', 'keyless', { mode: 'enforce', keys: [key], required: 1 }, 'ann')).toMatchObject({ keys: [key], roots: [], identities: [], version: 2 });

    // A row written before the columns existed: the migration's defaults.
    await backends().database.db.execute(sql`insert into trust_policies (namespace, environment, mode, keys, required, version, updated_by) values ('team', 'legacy', 'off', '[]'::jsonb, 1, 1, 'ann')`);
    expect(await policies.find('team', 'legacy')).toMatchObject({ roots: [], identities: [] });
    expect(await policies.remove('team', 'legacy')).toBe(true);
    expect(await policies.remove('team', 'keyless')).toBe(true);
  });

  it('keeps environments and namespaces apart', async () => {
    await policies.put('team', 'staging', { mode: 'off', keys: [], required: 1 }, 'ann');
    expect(await policies.find('team', 'testing')).toBeUndefined();
    expect(await policies.find('other', 'production')).toBeUndefined();
    expect((await policies.list('team')).map((p) => p.environment)).toEqual(['production', 'staging']);
    expect(await policies.list('other')).toEqual([]);
  });

  it('refuses bad input and unknown namespaces before writing anything', async () => {
    await expect(policies.put('team', 'Prod', { mode: 'off', keys: [], required: 1 }, 'ann')).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    await expect(policies.put('team', 'qa', { mode: 'enforce', keys: [], required: 1 }, 'ann')).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    await expect(policies.put('nobody', 'qa', { mode: 'off', keys: [], required: 1 }, 'ann')).rejects.toMatchObject({ code: 'NAME_UNKNOWN' });
    expect(await policies.find('team', 'qa')).toBeUndefined();
  });

  it('removes a policy, once; a deleted namespace takes its policies with it', async () => {
    await policies.put('other', 'qa', { mode: 'off', keys: [], required: 1 }, 'ann');
    expect(await policies.remove('other', 'qa')).toBe(true);
    expect(await policies.remove('other', 'qa')).toBe(false);
    expect(await policies.find('other', 'qa')).toBeUndefined();

    await policies.put('other', 'production', { mode: 'off', keys: [], required: 1 }, 'ann');
    await backends().access.namespaces.delete('other');
    expect(await policies.list('other')).toEqual([]);
  });
});
