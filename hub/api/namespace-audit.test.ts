/** `GET /api/v1/namespaces/:namespace/audit` over HTTP, against a real Hub. */
import { describe, expect, it } from 'vitest';
import { createNamespace, createUser, httpAs, member } from '../../conformance/auth-helpers.ts';
import { useTestHub } from '../../conformance/harness.ts';
import { ADMIN_AUTHORIZATION, expectError } from '../../conformance/helpers.ts';
import type { AuditPage } from '../client/admin.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

const audit = (authorization: string | undefined, namespace: string, query = '') => httpAs(base, authorization, `/api/v1/namespaces/${namespace}/audit${query}`);
const setPolicy = async (authorization: string, namespace: string, environment: string) => {
  const res = await httpAs(base, authorization, `/api/v1/namespaces/${namespace}/vulnerability-policies/${environment}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'warn', severity: 'high' }),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
};
const read = async (res: Response): Promise<AuditPage> => {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as AuditPage;
};

describe('a namespace\'s audit log', () => {
  it('shows its owners the changes to that namespace only, newest first, paged', async () => {
    const ns = await createNamespace(base);
    const other = await createNamespace(base);
    const owner = await member(base, ns, 'owner');
    await setPolicy(owner.authorization, ns, 'production');
    await setPolicy(owner.authorization, ns, 'testing');
    await setPolicy(ADMIN_AUTHORIZATION, other, 'production');

    const { entries } = await read(await audit(owner.authorization, ns));
    expect(entries.map((e) => e.action)).toEqual(['vulnerability-policy.set', 'vulnerability-policy.set', 'member.set', 'namespace.create']);
    expect(entries[0]).toMatchObject({ actor: owner.name, outcome: 'success', detail: { namespace: ns, environment: 'testing', mode: 'warn', severity: 'high', version: 1 } });
    expect(entries.every((e) => (e.detail as { namespace?: string }).namespace === ns)).toBe(true);
    expect(typeof entries[0]!.at).toBe('string');

    const first = await read(await audit(owner.authorization, ns, '?limit=1'));
    expect(first.entries).toHaveLength(1);
    expect(first.next).toBeDefined();
    const second = await read(await audit(owner.authorization, ns, `?limit=1&before=${first.next}`));
    expect(second.entries[0]?.detail).toMatchObject({ environment: 'production' });

    // Only some actions, named once or more.
    const policies = await read(await audit(owner.authorization, ns, '?action=vulnerability-policy.set&action=policy.set'));
    expect(policies.entries.map((e) => e.action)).toEqual(['vulnerability-policy.set', 'vulnerability-policy.set']);
    expect((await read(await audit(owner.authorization, ns, '?action=member.set'))).entries.map((e) => e.action)).toEqual(['member.set']);

    // Administrators read every namespace's.
    expect((await read(await audit(ADMIN_AUTHORIZATION, other))).entries.map((e) => e.action)).toEqual(['vulnerability-policy.set', 'namespace.create']);
    await expectError(await audit(owner.authorization, ns, '?limit=0'), 400, ['REQUEST_INVALID']);
  });

  it('is denied to members who are not owners (403), and hidden from outsiders (404) and anonymous callers', async () => {
    const ns = await createNamespace(base);
    const reader = await member(base, ns, 'reader');
    const maintainer = await member(base, ns, 'maintainer');
    const outsider = await createUser(base);
    await expectError(await audit(reader.authorization, ns), 403, ['DENIED']);
    await expectError(await audit(maintainer.authorization, ns), 403, ['DENIED']);
    await expectError(await audit(outsider.authorization, ns), 404, ['NAME_UNKNOWN']);
    await expectError(await audit(undefined, ns), [401, 404], ['UNAUTHORIZED', 'NAME_UNKNOWN']);
  });

  it('shows its owners the refused attempts to manage it', async () => {
    const ns = await createNamespace(base);
    const reader = await member(base, ns, 'reader');
    const attempt = await httpAs(base, reader.authorization, `/api/v1/namespaces/${ns}/vulnerability-policies/production`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'enforce', severity: 'low' }),
    });
    expect(attempt.status).toBe(403);
    // The audit log is written in small batches: the entry shows up a moment later.
    await expect
      .poll(async () => (await read(await audit(ADMIN_AUTHORIZATION, ns))).entries.find((e) => e.outcome === 'denied'), { timeout: 5_000 })
      .toMatchObject({ actor: reader.name, detail: { namespace: ns } });
  });
});
