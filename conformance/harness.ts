/**
 * Test support: real Hubs on free loopback ports, each on fresh backends.
 *
 * By default a test Hub keeps everything under a temporary data directory (PGlite + fs).
 * `NOCKER_TEST_DATABASE_URL=postgres://…` gives each one its own new PostgreSQL database on that
 * server, and `NOCKER_TEST_S3_ENDPOINT=http://…` its own new S3 bucket there: one suite, run on
 * either set of backends, with no test seeing another's data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type HubConfig } from '../hub/config.ts';
import { openBackends, startHub, type HubBackends, type RunningHub } from '../hub/server.ts';
import { TEST_ADMIN } from './helpers.ts';

export { TEST_ADMIN };

/** The backends of one test Hub, as environment variables and as the config they produce. */
export interface TestEnvironment {
  dataDir: string;
  /** What a Hub started as a child process needs (`NOCKER_DATA_DIR`, `DATABASE_URL`, `NOCKER_S3_*`). */
  env: Record<string, string>;
  config: HubConfig;
  /** Drops the database and bucket created for it and removes the data directory. */
  dispose(): Promise<void>;
}

/**
 * Creates a data directory (or uses `dataDir`) and, when the test environment names servers, a
 * fresh database and bucket. `embedded: true` keeps to PGlite + fs whatever is configured.
 */
export async function createTestEnvironment(options: { dataDir?: string; embedded?: boolean } = {}): Promise<TestEnvironment> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'nocker-test-')));
  const env: Record<string, string> = { NOCKER_DATA_DIR: dataDir, NOCKER_LISTEN: '127.0.0.1:0', NOCKER_ADMIN_PASSWORD: TEST_ADMIN.password };
  const cleanups: (() => Promise<void>)[] = [];
  const name = `nocker_test_${randomBytes(6).toString('hex')}`;

  const adminUrl = options.embedded ? undefined : process.env.NOCKER_TEST_DATABASE_URL;
  if (adminUrl) {
    env.DATABASE_URL = await createDatabase(adminUrl, name);
    cleanups.push(() => dropDatabase(adminUrl, name));
  }
  const s3Endpoint = options.embedded ? undefined : process.env.NOCKER_TEST_S3_ENDPOINT;
  if (s3Endpoint) {
    const bucket = name.replaceAll('_', '-');
    await createBucket(s3Endpoint, bucket);
    Object.assign(env, { NOCKER_S3_BUCKET: bucket, NOCKER_S3_ENDPOINT: s3Endpoint, ...s3TestCredentials() });
    cleanups.push(() => emptyAndDeleteBucket(s3Endpoint, bucket));
  }

  // The test's own environment must not leak in: only what is set here counts.
  const config = loadConfig({ env, cwd: dataDir });
  return {
    dataDir,
    env,
    config,
    async dispose() {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** moto (and most local S3 servers) accept any credentials; real ones in the environment win. */
function s3TestCredentials(): Record<string, string> {
  const id = process.env.AWS_ACCESS_KEY_ID ?? 'test';
  const secret = process.env.AWS_SECRET_ACCESS_KEY ?? 'test';
  process.env.AWS_ACCESS_KEY_ID = id;
  process.env.AWS_SECRET_ACCESS_KEY = secret;
  return { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret };
}

async function withPostgres<T>(adminUrl: string, work: (sql: import('postgres').Sql) => Promise<T>): Promise<T> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await withPostgres(adminUrl, async (sql) => {
    await sql.unsafe(`create database ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withPostgres(adminUrl, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`));
}

async function s3Client(endpoint: string) {
  const { S3Client } = await import('@aws-sdk/client-s3');
  s3TestCredentials();
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
}

async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = await s3Client(endpoint);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

async function emptyAndDeleteBucket(endpoint: string, bucket: string): Promise<void> {
  const { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = await s3Client(endpoint);
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

export interface TestHub extends RunningHub {
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  config: HubConfig;
  environment: TestEnvironment;
  /** Stops the Hub and disposes of its backends (database, bucket, data directory). */
  destroy(): Promise<void>;
}

export interface StartTestHubOptions {
  /** Backends to start on, e.g. those of a Hub stopped before (a restart); new ones by default. */
  environment?: TestEnvironment;
  /** Settings to change from the environment's config. */
  config?: Partial<HubConfig>;
}

/**
 * @example
 * const hub = await startTestHub();
 * const res = await fetch(`${hub.url}/v2/`);
 * await hub.destroy();
 */
export async function startTestHub(options: StartTestHubOptions = {}): Promise<TestHub> {
  const environment = options.environment ?? (await createTestEnvironment());
  const config: HubConfig = { ...environment.config, ...options.config };
  const hub = await startHub(config, { quiet: true });
  return {
    ...hub,
    dataDir: environment.dataDir,
    config,
    environment,
    async destroy() {
      await hub.close();
      await environment.dispose();
    },
  };
}

/**
 * Runs one Hub for the test file: started before its tests, destroyed after them.
 *
 * @example
 * let base: string;
 * useTestHub((hub) => (base = hub.url));
 */
export function useTestHub(onStart: (hub: TestHub) => void): void {
  let hub: TestHub | undefined;
  beforeAll(async () => {
    hub = await startTestHub();
    onStart(hub);
  });
  afterAll(async () => {
    await hub?.destroy();
  });
}

/**
 * Opens the backends of one fresh test environment (database, blob store, registry, access
 * control) for the test file, without a server: opened before its tests, closed and disposed of
 * after them. Returns a getter, since they only exist once the file's `beforeAll` has run.
 *
 * @example
 * const backends = useTestBackends();
 * it('stores', async () => {
 *   await backends().registry.blobs.read(digest);
 * });
 */
export function useTestBackends(): () => HubBackends {
  let environment: TestEnvironment | undefined;
  let backends: HubBackends | undefined;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    backends = await openBackends(environment.config);
  });
  afterAll(async () => {
    await backends?.close();
    await environment?.dispose();
  });
  return () => {
    if (!backends) throw new Error('the test backends are opened in beforeAll: use them inside hooks and tests');
    return backends;
  };
}
