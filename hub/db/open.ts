/**
 * Opens the metadata database: embedded PGlite under the data dir by default, or PostgreSQL
 * through postgres.js when a DATABASE_URL is configured. Both get the same drizzle schema and the
 * same migrations, applied here before the Hub serves anything.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';

/** The drizzle handle the registry works with, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; it has the same query API as the database. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface OpenDatabase {
  db: Database;
  /** `pglite:<dir>` or `postgres:<host>/<db>`, for the start-up line. */
  description: string;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Tells every process on this database (Hub replicas) something changed, and hears what they
   * say. Only PostgreSQL has other processes; on PGlite both do nothing.
   */
  notify(channel: string, payload: string): Promise<void>;
  listen(channel: string, onPayload: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}

const execFileAsync = promisify(execFile);
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));
/** Advisory lock key that serialises migrations across Hub replicas ("nocker" in ASCII). */
const MIGRATION_LOCK = 0x6e6f636b6572;

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; absent means PGlite in `pgliteDir`. */
  databaseUrl?: string;
  /** Connections in the PostgreSQL pool. */
  pool?: number;
  pgliteDir: string;
  description: string;
}

/**
 * @example
 * const { db, close } = await openDatabase({ pgliteDir: '.nocker/db', description: 'pglite:.nocker/db' });
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenDatabase> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.pool ?? 10, options.description)
    : openPglite(options.pgliteDir, options.description);
}

async function openPglite(dir: string, description: string): Promise<OpenDatabase> {
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  await mkdir(dir, { recursive: true });
  if (!existsSync(join(dir, 'PG_VERSION'))) await initPgliteInChild(dir);
  const client = await PGlite.create(dir, PGLITE_OPTIONS);
  const db = drizzle(client, { schema });
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (err) {
    await client.close();
    throw err;
  }
  return {
    db: db as unknown as Database,
    description,
    ping: async () => void (await client.query('select 1')),
    notify: async () => {},
    listen: async () => {},
    close: () => client.close(),
  };
}

/**
 * The Hub's metadata is small and its hot manifests are cached by the Hub itself, so PostgreSQL's
 * default 128 MB of shared buffers would only make the embedded database's memory the bulk of
 * the Hub's.
 */
const PGLITE_OPTIONS = { postgresqlconf: ['shared_buffers=16MB'] };

/**
 * Creates a new PGlite cluster in a child process. initdb grows the WebAssembly memory to several
 * hundred MB, which a process never gives back; doing it elsewhere keeps the Hub's own footprint
 * at what serving needs.
 */
async function initPgliteInChild(dir: string): Promise<void> {
  const entry = import.meta.resolve('@electric-sql/pglite');
  const script = `const { PGlite } = await import(${JSON.stringify(entry)});
const db = await PGlite.create(${JSON.stringify(dir)}, ${JSON.stringify(PGLITE_OPTIONS)});
await db.close();`;
  const { stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 }).catch(
    (err: { stderr?: string; message: string }) => {
      throw new Error(`could not create the embedded database in ${dir}: ${err.stderr || err.message}`);
    },
  );
  if (stderr.trim()) console.error(stderr.trim());
}

async function openPostgres(url: string, pool: number, description: string): Promise<OpenDatabase> {
  const [{ default: postgres }, { drizzle }, { migrate }] = await Promise.all([
    import('postgres'),
    import('drizzle-orm/postgres-js'),
    import('drizzle-orm/postgres-js/migrator'),
  ]);
  const client = postgres(url, { max: pool, onnotice: () => {} });
  const db = drizzle(client, { schema });
  try {
    // Replicas starting together migrate one at a time: the lock belongs to a session, so a
    // connection of its own holds it while the pool migrates (even a pool of one), and later
    // replicas find the work done.
    const lock = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await lock.end({ timeout: 5 });
    }
  } catch (err) {
    await client.end();
    throw err;
  }
  return {
    db: db as unknown as Database,
    description,
    ping: async () => void (await client`select 1`),
    notify: async (channel, payload) => void (await client.notify(channel, payload)),
    listen: async (channel, onPayload) => void (await client.listen(channel, onPayload)),
    close: () => client.end({ timeout: 5 }),
  };
}
