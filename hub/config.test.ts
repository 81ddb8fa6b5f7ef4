import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG_FILE, describeDatabase, loadConfig, parseListen } from './config.ts';
import type { HubConfig } from './config.ts';
import { thrownBy } from './oci/thrown.ts';

const DEFAULT_AUTH = { enabled: true, tokenTtlSeconds: 300, adminPassword: undefined, tokenKey: undefined, service: undefined, publicUrl: undefined };

describe('loadConfig', () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'nocker-config-'));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  describe('defaults', () => {
    it('listens on 127.0.0.1:5000, keeps data in <cwd>/.nocker, uses PGlite and accepts 4 MiB manifests', () => {
      expect(loadConfig({ env: {}, cwd })).toEqual({
        listen: { host: '127.0.0.1', port: 5000 },
        dataDir: join(cwd, '.nocker'),
        databaseUrl: undefined,
        databasePool: 10,
        maxManifestBytes: 4 * 1024 * 1024,
        storage: { kind: 'fs', root: join(cwd, '.nocker', 'blobs') },
        auth: DEFAULT_AUTH,
      });
    });

    it('ignores empty environment variables', () => {
      const config = loadConfig({
        env: { NOCKER_LISTEN: '', NOCKER_DATA_DIR: '', DATABASE_URL: '', NOCKER_MAX_MANIFEST_BYTES: '' },
        cwd,
      });
      expect(config.listen).toEqual({ host: '127.0.0.1', port: 5000 });
      expect(config.dataDir).toBe(join(cwd, '.nocker'));
      expect(config.databaseUrl).toBeUndefined();
      expect(config.maxManifestBytes).toBe(4 * 1024 * 1024);
    });

    it('ignores unrelated environment variables', () => {
      expect(loadConfig({ env: { PORT: '8080', HOST: 'example.com' }, cwd }).listen).toEqual({ host: '127.0.0.1', port: 5000 });
    });
  });

  describe('environment', () => {
    it('overrides every setting', () => {
      const config = loadConfig({
        env: {
          NOCKER_LISTEN: '0.0.0.0:8080',
          NOCKER_DATA_DIR: 'data',
          DATABASE_URL: 'postgres://nocker:secret@db.internal:5432/nocker',
          NOCKER_MAX_MANIFEST_BYTES: '1048576',
        },
        cwd,
      });
      expect(config).toEqual({
        listen: { host: '0.0.0.0', port: 8080 },
        dataDir: join(cwd, 'data'),
        databaseUrl: 'postgres://nocker:secret@db.internal:5432/nocker',
        databasePool: 10,
        maxManifestBytes: 1048576,
        storage: { kind: 'fs', root: join(cwd, 'data', 'blobs') },
        auth: DEFAULT_AUTH,
      });
    });

    it('keeps an absolute data directory as it is', () => {
      const dir = join(cwd, 'elsewhere');
      expect(loadConfig({ env: { NOCKER_DATA_DIR: dir }, cwd }).dataDir).toBe(dir);
    });

    it('accepts postgresql:// URLs', () => {
      const url = 'postgresql://localhost/nocker';
      expect(loadConfig({ env: { DATABASE_URL: url }, cwd }).databaseUrl).toBe(url);
    });

    it.each(['localhost', ':99999', 'a:b', 'nonsense', '127.0.0.1:', '1.2.3.4:5:6'])(
      'rejects NOCKER_LISTEN=%j, naming the key',
      (listen) => {
        const err = thrownBy(() => loadConfig({ env: { NOCKER_LISTEN: listen }, cwd }), ConfigError);
        expect(err.key).toBe('NOCKER_LISTEN');
        expect(err.message).toMatch(/^invalid configuration: NOCKER_LISTEN: /);
        expect(err.message).toContain('host:port');
      },
    );

    it.each(['mysql://root@localhost/nocker', 'http://db:5432/nocker', 'not a url'])(
      'rejects DATABASE_URL=%j, naming the key',
      (url) => {
        const err = thrownBy(() => loadConfig({ env: { DATABASE_URL: url }, cwd }), ConfigError);
        expect(err.key).toBe('DATABASE_URL');
        expect(err.message).toMatch(/^invalid configuration: DATABASE_URL: .*postgres/);
      },
    );

    it.each(['0', '-1', '4MiB', '1.5'])('rejects NOCKER_MAX_MANIFEST_BYTES=%j, naming the key', (value) => {
      const err = thrownBy(() => loadConfig({ env: { NOCKER_MAX_MANIFEST_BYTES: value }, cwd }), ConfigError);
      expect(err.key).toBe('NOCKER_MAX_MANIFEST_BYTES');
      expect(err.message).toMatch(/positive whole number/);
    });

    it('rejects a blank NOCKER_DATA_DIR', () => {
      expect(thrownBy(() => loadConfig({ env: { NOCKER_DATA_DIR: '   ' }, cwd }), ConfigError).key).toBe('NOCKER_DATA_DIR');
    });
  });

  describe('YAML file', () => {
    it(`reads ${DEFAULT_CONFIG_FILE} from the cwd without being told`, async () => {
      await writeFile(
        join(cwd, DEFAULT_CONFIG_FILE),
        'listen: 127.0.0.1:6000\ndataDir: ./store\ndatabaseUrl: postgres://h/db\nmaxManifestBytes: 1024\n',
      );
      expect(loadConfig({ env: {}, cwd })).toEqual({
        listen: { host: '127.0.0.1', port: 6000 },
        dataDir: join(cwd, 'store'),
        databaseUrl: 'postgres://h/db',
        databasePool: 10,
        maxManifestBytes: 1024,
        storage: { kind: 'fs', root: join(cwd, 'store', 'blobs') },
        auth: DEFAULT_AUTH,
      });
    });

    it('reads the file given explicitly, relative to the cwd', async () => {
      await mkdir(join(cwd, 'etc'));
      await writeFile(join(cwd, 'etc', 'hub.yaml'), 'listen: "[::1]:7000"\n');
      // The default file is ignored when one is given explicitly.
      await writeFile(join(cwd, DEFAULT_CONFIG_FILE), 'listen: 127.0.0.1:6000\n');
      expect(loadConfig({ env: {}, cwd, file: 'etc/hub.yaml' }).listen).toEqual({ host: '::1', port: 7000 });
      expect(loadConfig({ env: {}, cwd, file: join(cwd, 'etc', 'hub.yaml') }).listen).toEqual({ host: '::1', port: 7000 });
    });

    it('lets the environment win over the file', async () => {
      await writeFile(join(cwd, DEFAULT_CONFIG_FILE), 'listen: 127.0.0.1:6000\nmaxManifestBytes: 1024\n');
      const config = loadConfig({ env: { NOCKER_LISTEN: '127.0.0.1:7000' }, cwd });
      expect(config.listen.port).toBe(7000);
      expect(config.maxManifestBytes).toBe(1024);
    });

    it('treats a bare number as a port on all interfaces', async () => {
      await writeFile(join(cwd, DEFAULT_CONFIG_FILE), 'listen: 5001\n');
      expect(loadConfig({ env: {}, cwd }).listen).toEqual({ host: '0.0.0.0', port: 5001 });
    });

    it('accepts an empty file', async () => {
      await writeFile(join(cwd, DEFAULT_CONFIG_FILE), '# nothing configured\n');
      expect(loadConfig({ env: {}, cwd }).listen).toEqual({ host: '127.0.0.1', port: 5000 });
    });

    it('names the file and the key when a value in it is wrong', async () => {
      const path = join(cwd, DEFAULT_CONFIG_FILE);
      await writeFile(path, 'listen: nowhere\n');
      const err = thrownBy(() => loadConfig({ env: {}, cwd }), ConfigError);
      expect(err.key).toBe(`${path}: listen`);
      expect(err.message).toContain(`${path}: listen: expected host:port`);
    });

    it('rejects an unknown key, listing the known ones', async () => {
      const path = join(cwd, DEFAULT_CONFIG_FILE);
      await writeFile(path, 'listen: 127.0.0.1:5000\nport: 5000\n');
      const err = thrownBy(() => loadConfig({ env: {}, cwd }), ConfigError);
      expect(err.key).toBe(`${path}: port`);
      expect(err.message).toMatch(/unknown setting/);
      expect(err.message).toContain('listen, dataDir, databaseUrl, databasePool, maxManifestBytes, s3.bucket');
    });

    it('rejects an unknown key even when the environment sets everything', async () => {
      await writeFile(join(cwd, DEFAULT_CONFIG_FILE), 'lisen: 127.0.0.1:5000\n');
      expect(() => loadConfig({ env: { NOCKER_LISTEN: '127.0.0.1:5000' }, cwd })).toThrow(ConfigError);
    });

    it.each([
      ['a list', '- listen\n- dataDir\n'],
      ['a string', 'just words\n'],
      ['a number', '42\n'],
    ])('rejects a file that is %s instead of a mapping', async (_label, text) => {
      const path = join(cwd, DEFAULT_CONFIG_FILE);
      await writeFile(path, text);
      const err = thrownBy(() => loadConfig({ env: {}, cwd }), ConfigError);
      expect(err.key).toBe(path);
      expect(err.message).toMatch(/expected a mapping/);
    });

    it('rejects a file that is not YAML', async () => {
      const path = join(cwd, DEFAULT_CONFIG_FILE);
      await writeFile(path, 'listen: [unclosed\n');
      const err = thrownBy(() => loadConfig({ env: {}, cwd }), ConfigError);
      expect(err.key).toBe(path);
      expect(err.message).toMatch(/not valid YAML/);
    });

    it('rejects an explicit file that does not exist', () => {
      const err = thrownBy(() => loadConfig({ env: {}, cwd, file: 'missing.yaml' }), ConfigError);
      expect(err.key).toBe('--config');
      expect(err.message).toContain(join(cwd, 'missing.yaml'));
      expect(err.message).toMatch(/does not exist/);
    });
  });
});

describe('parseListen', () => {
  it('reads host:port', () => {
    expect(parseListen('127.0.0.1:5000', 'k')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseListen('localhost:80', 'k')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListen('0.0.0.0:0', 'k')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListen('  example.com:65535 ', 'k')).toEqual({ host: 'example.com', port: 65535 });
  });

  it('reads a bracketed IPv6 address', () => {
    expect(parseListen('[::1]:5000', 'k')).toEqual({ host: '::1', port: 5000 });
    expect(parseListen('[::]:5000', 'k')).toEqual({ host: '::', port: 5000 });
  });

  it('reads :port as all interfaces', () => {
    expect(parseListen(':5000', 'k')).toEqual({ host: '0.0.0.0', port: 5000 });
    expect(parseListen(5000, 'k')).toEqual({ host: '0.0.0.0', port: 5000 });
  });

  it.each(['::1:5000', '[::1]', '127.0.0.1:65536', '127.0.0.1:-1', '', 'host:123456', 'a b:1'])('rejects %j', (value) => {
    const err = thrownBy(() => parseListen(value, 'the-key'), ConfigError);
    expect(err.key).toBe('the-key');
  });

  it('rejects values that are not strings or numbers', () => {
    expect(thrownBy(() => parseListen(true, 'k'), ConfigError).message).toMatch(/non-empty string/);
    expect(thrownBy(() => parseListen(null, 'k'), ConfigError).message).toMatch(/non-empty string/);
  });
});

describe('describeDatabase', () => {
  const base: HubConfig = {
    listen: { host: '127.0.0.1', port: 5000 },
    dataDir: '/var/lib/nocker',
    maxManifestBytes: 1024,
    databasePool: 10,
    storage: { kind: 'fs', root: '/var/lib/nocker/blobs' },
    auth: { enabled: true, tokenTtlSeconds: 300 },
  };

  it('names the PGlite directory when there is no database URL', () => {
    expect(describeDatabase(base)).toBe('pglite:/var/lib/nocker/db');
  });

  it('names the PostgreSQL host and database without the password', () => {
    const text = describeDatabase({ ...base, databaseUrl: 'postgres://nocker:s3cr3t@db.internal:5432/hub' });
    expect(text).toBe('postgres:db.internal:5432/hub');
    expect(text).not.toContain('s3cr3t');
  });

  it('leaves out passwords given as query parameters too', () => {
    const text = describeDatabase({ ...base, databaseUrl: 'postgresql://db/hub?password=s3cr3t&sslmode=require' });
    expect(text).toBe('postgres:db/hub');
  });
});

describe('storage and pool settings', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'nocker-config-s3-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('uses S3 when a bucket is named, with path-style addressing for a custom endpoint', () => {
    const config = loadConfig({
      env: { NOCKER_S3_BUCKET: 'blobs', NOCKER_S3_ENDPOINT: 'http://127.0.0.1:9000/', NOCKER_S3_PREFIX: '/hub/', NOCKER_DB_POOL: '4' },
      cwd,
    });
    expect(config.storage).toEqual({
      kind: 's3',
      bucket: 'blobs',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      prefix: 'hub',
      forcePathStyle: true,
      redirect: false,
    });
    expect(config.databasePool).toBe(4);
  });

  it('reads S3 settings from a nested s3: map in the YAML file, the environment winning', async () => {
    await writeFile(join(cwd, DEFAULT_CONFIG_FILE), 's3:\n  bucket: from-file\n  region: eu-west-1\n  redirect: true\n');
    const config = loadConfig({ env: { NOCKER_S3_BUCKET: 'from-env' }, cwd });
    expect(config.storage).toMatchObject({ kind: 's3', bucket: 'from-env', region: 'eu-west-1', redirect: true, forcePathStyle: false });
  });

  it('names the key of a bad S3 or pool value', () => {
    expect(thrownBy(() => loadConfig({ env: { NOCKER_S3_BUCKET: 'Bad_Bucket' }, cwd }), ConfigError).key).toBe('NOCKER_S3_BUCKET');
    expect(thrownBy(() => loadConfig({ env: { NOCKER_S3_BUCKET: 'ok-bucket', NOCKER_S3_REDIRECT: 'maybe' }, cwd }), ConfigError).key).toBe(
      'NOCKER_S3_REDIRECT',
    );
    expect(thrownBy(() => loadConfig({ env: { NOCKER_S3_BUCKET: 'ok-bucket', NOCKER_S3_ENDPOINT: 'ftp://x' }, cwd }), ConfigError).key).toBe(
      'NOCKER_S3_ENDPOINT',
    );
    expect(thrownBy(() => loadConfig({ env: { NOCKER_DB_POOL: '0' }, cwd }), ConfigError).key).toBe('NOCKER_DB_POOL');
  });

  it('refuses S3 settings without a bucket rather than silently using the filesystem', () => {
    const err = thrownBy(() => loadConfig({ env: { NOCKER_S3_ENDPOINT: 'http://127.0.0.1:9000' }, cwd }), ConfigError);
    expect(err.key).toBe('NOCKER_S3_ENDPOINT');
    expect(err.message).toContain('NOCKER_S3_BUCKET');
  });
});

describe('auth settings', () => {
  it('turns authentication on by default with five-minute tokens', () => {
    const config = loadConfig({ env: {}, cwd: '/nonexistent' });
    expect(config.auth).toEqual(DEFAULT_AUTH);
  });

  it('reads NOCKER_AUTH, NOCKER_ADMIN_PASSWORD, NOCKER_TOKEN_TTL and NOCKER_PUBLIC_URL', () => {
    const config = loadConfig({
      env: { NOCKER_AUTH: 'off', NOCKER_ADMIN_PASSWORD: ' spaced secret ', NOCKER_TOKEN_TTL: '60', NOCKER_PUBLIC_URL: 'https://hub.example/' },
      cwd: '/nonexistent',
    });
    expect(config.auth).toMatchObject({ enabled: false, adminPassword: ' spaced secret ', tokenTtlSeconds: 60, publicUrl: 'https://hub.example' });
  });

  it('refuses a short admin password and a bad switch, naming the key', () => {
    expect(thrownBy(() => loadConfig({ env: { NOCKER_ADMIN_PASSWORD: 'short' }, cwd: '/nonexistent' }), ConfigError).key).toBe('NOCKER_ADMIN_PASSWORD');
    expect(thrownBy(() => loadConfig({ env: { NOCKER_AUTH: 'maybe' }, cwd: '/nonexistent' }), ConfigError).key).toBe('NOCKER_AUTH');
  });
});
