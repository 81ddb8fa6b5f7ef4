import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '../../conformance/harness.ts';
import { openDatabase } from './open.ts';

/** How many migrations the project ships (each is applied exactly once). */
function migrationCount(): number {
  const journal = JSON.parse(readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

describe('openDatabase', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    await environment.dispose();
  });

  it('applies the migrations and serves queries', async () => {
    const { config } = environment;
    const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: `${config.dataDir}/db`, description: 'test' });
    try {
      const rows = await database.db.execute(sql`select count(*)::int as n from repositories`);
      expect(JSON.stringify(rows)).toContain('"n":0');
    } finally {
      await database.close();
    }
  });

  // Only PostgreSQL can be opened by several processes at once, as replicas do.
  it.skipIf(!process.env.NOCKER_TEST_DATABASE_URL)('migrates once when several replicas start at the same time', async () => {
    const fresh = await createTestEnvironment();
    try {
      const url = fresh.config.databaseUrl;
      const replicas = await Promise.all(
        Array.from({ length: 4 }, () => openDatabase({ databaseUrl: url, pool: 1, pgliteDir: '', description: 'replica' })),
      );
      try {
        const rows = await replicas[0]!.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
        expect(JSON.stringify(rows)).toContain(`"n":${migrationCount()}`);
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
    } finally {
      await fresh.dispose();
    }
  });
});
