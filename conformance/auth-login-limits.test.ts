/**
 * Access control, part 4: failed-login limits. Ten failures for one account within five minutes
 * lock that account (429 TOOMANYREQUESTS with Retry-After, even for the right password); thirty
 * from one client address lock every login from it. This file has a Hub of its own: the last
 * test locks its loopback address out.
 */
import { describe, expect, it } from 'vitest';
import { useTestHub } from './harness.ts';
import { ADMIN_AUTHORIZATION, basicAuth, expectError, http } from './helpers.ts';
import { auditEntries, createUser, httpAs, postToken, requestToken, serviceOf, uniqueName } from './auth-helpers.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

/** Failures recorded against this Hub's one client address so far. */
let addressFailures = 0;

async function expectTooMany(res: Response): Promise<void> {
  await expectError(res, 429, ['TOOMANYREQUESTS']);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter), `Retry-After: ${res.headers.get('retry-after')}`).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(300);
}

describe('failed-login limits', () => {
  it('after 10 failed logins an account gets 429 with Retry-After, even with the right password, everywhere it logs in', async () => {
    const user = await createUser(base);
    const wrong = basicAuth(user.name, 'wrong-password');
    for (let i = 0; i < 10; i++) {
      const res = i % 2 === 0 ? await requestToken(base, { authorization: wrong }) : await httpAs(base, wrong, '/v2/');
      await expectError(res, 401, ['UNAUTHORIZED']);
      addressFailures += 1;
    }
    await expectTooMany(await requestToken(base, { authorization: user.authorization }));
    await expectTooMany(await httpAs(base, user.authorization, '/v2/'));
    await expectTooMany(await postToken(base, { grant_type: 'password', username: user.name, password: user.password, service: serviceOf(base) }));

    const refused = await auditEntries(base, { actor: user.name, action: 'login' });
    expect(refused.filter((e) => e.outcome === 'failure')).toHaveLength(10);
    expect(refused.some((e) => e.outcome === 'denied' && e.detail?.reason === 'too many failed attempts')).toBe(true);
  });

  it('the lock is per account: another account still logs in from the same address', async () => {
    const other = await createUser(base);
    expect((await httpAs(base, other.authorization, '/v2/')).status).toBe(200);
    expect((await requestToken(base, { authorization: other.authorization })).status).toBe(200);
  });

  it('after 30 failed logins from one address every login from it gets 429, the administrator included', async () => {
    let status = 401;
    for (let attempt = 0; status === 401 && attempt < 40; attempt++) {
      // A new name each time, so that no account reaches its own limit.
      const res = await requestToken(base, { authorization: basicAuth(uniqueName('ghost'), 'wrong-password') });
      status = res.status;
      await res.arrayBuffer();
      if (status === 401) addressFailures += 1;
    }
    expect(status).toBe(429);
    expect(addressFailures).toBe(30);
    await expectTooMany(await http(base, '/v2/', { headers: { authorization: ADMIN_AUTHORIZATION } }));
    // A header claiming another client address changes nothing.
    await expectTooMany(await http(base, '/v2/', { headers: { authorization: ADMIN_AUTHORIZATION, 'x-forwarded-for': '203.0.113.9', forwarded: 'for=203.0.113.9' } }));
  });
});
