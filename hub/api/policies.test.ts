/** `/api/v1/namespaces/:namespace/policies` over HTTP, against a real Hub. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, createNamespace, createUser, httpAs, member, type Account } from '../../conformance/auth-helpers.ts';
import { useTestHub } from '../../conformance/harness.ts';
import { ADMIN_AUTHORIZATION, expectError } from '../../conformance/helpers.ts';
import { generateSigningKeyPair } from '../../engine/sign/keys.ts';
import { makeCa, makeLeaf, type TestCertificate } from '../../engine/sign/testing.ts';
import type { TrustPolicy } from '../policy/types.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

const pem = () => generateSigningKeyPair().publicKeyPem;

const GITHUB = 'https://token.actions.githubusercontent.com';
let certificates: string;
let ca: TestCertificate;
let leaf: TestCertificate;
beforeAll(() => {
  certificates = mkdtempSync(join(tmpdir(), 'nocker-policy-api-'));
  ca = makeCa(certificates, 'fulcio');
  leaf = makeLeaf(certificates, ca, 'signer', 'email:ann@example.com', GITHUB);
});
afterAll(() => rmSync(certificates, { recursive: true, force: true }));
const path = (namespace: string, environment?: string) => `/api/v1/namespaces/${namespace}/policies${environment ? `/${environment}` : ''}`;
const put = (who: Account | string | undefined, namespace: string, environment: string, body: unknown) =>
  httpAs(base, typeof who === 'string' || who === undefined ? who : who.authorization, path(namespace, environment), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const read = async <T>(res: Response, status = 200): Promise<T> => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
};

describe('trust policies API', () => {
  it('an owner sets a policy (201, then 200 with the version raised); members read it', async () => {
    const ns = await createNamespace(base);
    const owner = await member(base, ns, 'owner');
    const reader = await member(base, ns, 'reader');
    const key = { name: 'release', pem: pem() };

    const created = await read<TrustPolicy>(await put(owner, ns, 'production', { mode: 'enforce', keys: [key], required: 1 }), 201);
    expect(created).toMatchObject({ namespace: ns, environment: 'production', mode: 'enforce', keys: [key], required: 1, version: 1, updatedBy: owner.name });
    const changed = await read<TrustPolicy>(await put(owner, ns, 'production', { mode: 'warn', keys: [key] }));
    expect(changed).toMatchObject({ mode: 'warn', version: 2 });

    expect(await read<TrustPolicy>(await httpAs(base, reader.authorization, path(ns, 'production')))).toEqual(changed);
    const { policies } = await read<{ policies: TrustPolicy[] }>(await httpAs(base, reader.authorization, path(ns)));
    expect(policies).toEqual([changed]);
  });

  it('takes keyless signers: roots and identities, returned as set and audited by root name and identity count', async () => {
    const ns = await createNamespace(base);
    const owner = await member(base, ns, 'owner');
    const roots = [{ name: 'fulcio', pem: ca.pem }];
    const identities = [{ issuer: GITHUB, subject: `https://github\\.com/${ns}/.+` }, { issuer: 'https://accounts.google.com', subject: '.+@example\\.com' }];
    const body = { mode: 'enforce', keys: [{ name: 'release', pem: pem() }], roots, identities, required: 3 };
    const created = await read<TrustPolicy>(await put(owner, ns, 'production', body), 201);
    expect(created).toMatchObject({ mode: 'enforce', roots, identities, required: 3, version: 1 });
    expect(await read<TrustPolicy>(await httpAs(base, owner.authorization, path(ns, 'production')))).toEqual(created);
    const [set] = await auditEntries(base, { actor: owner.name, action: 'policy.set' });
    expect(set).toMatchObject({ outcome: 'success', detail: { keys: ['release'], roots: ['fulcio'], identities: 2, required: 3, version: 1 } });

    // Without them in the body, a policy has none.
    const keyed = await read<TrustPolicy>(await put(owner, ns, 'production', { mode: 'enforce', keys: body.keys }));
    expect(keyed).toMatchObject({ roots: [], identities: [], version: 2 });
  });

  it('developers may not change policies (403, audited); outsiders do not see the namespace (404)', async () => {
    const ns = await createNamespace(base);
    const developer = await member(base, ns, 'developer');
    const outsider = await createUser(base);
    const body = { mode: 'off' };
    await expectError(await put(developer, ns, 'production', body), 403, ['DENIED']);
    await expectError(await httpAs(base, developer.authorization, path(ns, 'production'), { method: 'DELETE' }), 403, ['DENIED']);
    await expectError(await put(outsider, ns, 'production', body), 404, ['NAME_UNKNOWN']);
    await expectError(await httpAs(base, outsider.authorization, path(ns)), 404, ['NAME_UNKNOWN']);
    await expectError(await put(undefined, ns, 'production', body), 401, ['UNAUTHORIZED']);
    const denied = await auditEntries(base, { actor: developer.name, action: 'policy.set' });
    expect(denied.map((e) => e.outcome)).toEqual(['denied']);
  });

  it('anyone reads the policies of a public namespace', async () => {
    const ns = await createNamespace(base, { visibility: 'public' });
    await read(await put(ADMIN_AUTHORIZATION, ns, 'staging', { mode: 'off' }), 201);
    const { policies } = await read<{ policies: TrustPolicy[] }>(await httpAs(base, undefined, path(ns)));
    expect(policies.map((p) => p.environment)).toEqual(['staging']);
  });

  it('refuses a bad key, mode, count or environment with 400 and a message saying what is wrong', async () => {
    const ns = await createNamespace(base);
    const cases: [string, unknown, RegExp][] = [
      ['production', { mode: 'enforce', keys: [{ name: 'ci', pem: 'not a key' }] }, /key "ci" is not a PEM public key/],
      ['production', { mode: 'enforce', keys: [{ name: 'ci', pem: generateSigningKeyPair().privateKeyPem }] }, /key "ci" is a private key/],
      ['production', { mode: 'always', keys: [] }, /mode must be one of enforce, warn, off/],
      ['production', { mode: 'enforce', keys: [{ name: 'ci', pem: pem() }], required: 2 }, /required is 2 but only 1 trusted key is given/],
      ['Production', { mode: 'off' }, /"Production" is not a valid environment name/],
      ['production', { mode: 'enforce', roots: [{ name: 'corp', pem: leaf.pem }], identities: [{ issuer: GITHUB, subject: '.+' }] }, /root "corp" is not a CA certificate: .*leaf certificate/],
      ['production', { mode: 'enforce', roots: [{ name: 'corp', pem: ca.pem }], identities: [{ issuer: GITHUB, subject: '[team' }] }, /identities\[0\] \(issuer https:\/\/token\.actions\.githubusercontent\.com\): subject "\[team" is not a valid regular expression/],
      ['production', { mode: 'enforce', identities: [{ issuer: GITHUB, subject: '.+' }] }, /identities need at least one root/],
      ['production', { mode: 'enforce', roots: [{ name: 'corp', pem: ca.pem }] }, /roots are of no use without identities/],
    ];
    for (const [environment, body, message] of cases) {
      const error = await expectError(await put(ADMIN_AUTHORIZATION, ns, environment, body), 400, ['REQUEST_INVALID']);
      expect(error.errors[0]?.message).toMatch(message);
    }
    await expectError(await httpAs(base, ADMIN_AUTHORIZATION, path(ns, 'production'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '[' }), 400, ['REQUEST_INVALID']);
    expect((await read<{ policies: TrustPolicy[] }>(await httpAs(base, ADMIN_AUTHORIZATION, path(ns)))).policies).toEqual([]);
  });

  it('records changes in the audit log and deletes policies', async () => {
    const ns = await createNamespace(base);
    const owner = await member(base, ns, 'owner');
    await read(await put(owner, ns, 'production', { mode: 'enforce', keys: [{ name: 'release', pem: pem() }, { name: 'ci', pem: pem() }], required: 2 }), 201);
    const [set] = await auditEntries(base, { actor: owner.name, action: 'policy.set' });
    expect(set).toMatchObject({ outcome: 'success', detail: { namespace: ns, environment: 'production', mode: 'enforce', keys: ['release', 'ci'], required: 2, version: 1 } });

    const removed = await httpAs(base, owner.authorization, path(ns, 'production'), { method: 'DELETE' });
    expect(removed.status).toBe(204);
    await expectError(await httpAs(base, owner.authorization, path(ns, 'production')), 404, ['NAME_UNKNOWN']);
    await expectError(await httpAs(base, owner.authorization, path(ns, 'production'), { method: 'DELETE' }), 404, ['NAME_UNKNOWN']);
    const [deleted] = await auditEntries(base, { actor: owner.name, action: 'policy.delete' });
    expect(deleted).toMatchObject({ outcome: 'success', detail: { namespace: ns, environment: 'production' } });

    // Created again, a policy starts over at version 1.
    expect((await read<TrustPolicy>(await put(owner, ns, 'production', { mode: 'off' }), 201)).version).toBe(1);
  });
});
