import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestBackends } from '../../conformance/harness.ts';

describe('audit log', () => {
  const backends = useTestBackends();

  it('returns what was recorded, newest first, filtered and paged', async () => {
    const { audit } = backends().access;
    for (let i = 0; i < 5; i++) {
      audit.record({ actor: i % 2 ? 'ann' : 'bob', actorKind: 'user', action: 'push', repository: `team/app${i}`, reference: 'v1', outcome: 'success' });
    }
    const all = await audit.query({});
    expect(all.entries.map((e) => e.repository)).toEqual(['team/app4', 'team/app3', 'team/app2', 'team/app1', 'team/app0']);
    expect((await audit.query({ actor: 'ann' })).entries.map((e) => e.repository)).toEqual(['team/app3', 'team/app1']);
    const first = await audit.query({ limit: 2 });
    expect(first.entries).toHaveLength(2);
    const second = await audit.query({ limit: 2, before: first.next });
    expect(second.entries.map((e) => e.repository)).toEqual(['team/app2', 'team/app1']);
    expect((await audit.query({ since: new Date(Date.now() + 60_000) })).entries).toEqual([]);
  });

  it('is append-only: the database refuses to change or delete entries', async () => {
    backends().access.audit.record({ actor: 'mallory', actorKind: 'user', action: 'delete', outcome: 'denied' });
    await backends().access.audit.flush();
    const refusal = (statement: ReturnType<typeof sql>) =>
      backends().database.db.execute(statement).then(
        () => 'allowed',
        (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
      );
    expect(await refusal(sql`update audit_log set actor = 'nobody'`)).toMatch(/append-only: UPDATE/);
    expect(await refusal(sql`delete from audit_log`)).toMatch(/append-only: DELETE/);
    expect(await refusal(sql`truncate audit_log`)).toMatch(/append-only: TRUNCATE/);
    expect((await backends().access.audit.query({ actor: 'mallory' })).entries).toHaveLength(1);
  });
});
