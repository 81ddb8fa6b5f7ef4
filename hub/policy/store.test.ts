import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '../../conformance/harness.ts';
import { generateSigningKeyPair } from '../../engine/sign/keys.ts';
import { OciError } from '../oci/errors.ts';
import { thrownBy } from '../oci/thrown.ts';
import { openBackends, type HubBackends } from '../server.ts';
import type { TrustPolicyStore } from './store.ts';
import { parsePolicyInput, validateEnvironment } from './validate.ts';

const pem = () => generateSigningKeyPair().publicKeyPem;

describe('parsePolicyInput', () => {
  it('takes the three modes, public keys of the kinds nocker verifies, and a default of one signature', () => {
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const parsed = parsePolicyInput({ mode: 'enforce', keys: [{ name: 'a', pem: pem() }, { name: 'b', pem: ed25519 }, { name: 'c', pem: rsa }], required: 2 });
    expect(parsed.keys.map((k) => k.name)).toEqual(['a', 'b', 'c']);
    expect(parsed.required).toBe(2);
    expect(parsePolicyInput({ mode: 'warn', keys: [{ name: 'a', pem: pem() }] }).required).toBe(1);
    expect(parsePolicyInput({ mode: 'off' })).toEqual({ mode: 'off', keys: [], required: 1 });
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
    ];
    for (const [input, field, message] of cases) {
      const err = thrownBy(() => parsePolicyInput(input), OciError);
      expect(err.code, JSON.stringify(input)).toBe('REQUEST_INVALID');
      expect(err.message).toMatch(message);
      expect(err.detail).toEqual({ field });
    }
  });

  it('takes short lowercase environment names only', () => {
    for (const good of ['production', 'staging-2', 'a']) expect(validateEnvironment(good)).toBe(good);
    for (const bad of ['', 'Prod', '2nd', 'prod_eu', 'a'.repeat(33), 'prod/eu']) {
      expect(thrownBy(() => validateEnvironment(bad), OciError).message).toMatch(/not a valid environment name/);
    }
  });
});

describe('trust policy store', () => {
  let environment: TestEnvironment;
  let hub: HubBackends;
  let policies: TrustPolicyStore;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    hub = await openBackends(environment.config);
    policies = hub.access.policies;
    await hub.access.namespaces.create('team', {}, undefined);
    await hub.access.namespaces.create('other', {}, undefined);
  });
  afterAll(async () => {
    await hub?.close();
    await environment?.dispose();
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
    await hub.access.namespaces.delete('other');
    expect(await policies.list('other')).toEqual([]);
  });
});
