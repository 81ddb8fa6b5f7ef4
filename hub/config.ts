/**
 * The Hub's configuration: one typed object built from environment variables, which win, over an
 * optional YAML file (`nocker-hub.yaml`, or the file given with `--config`). Every value is
 * validated here, so that the rest of the Hub can trust it; a bad value stops the start with a
 * message naming the key.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { S3StoreOptions } from '../storage/s3.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface HubConfig {
  /** Where the HTTP server listens. */
  listen: ListenAddress;
  /** Root of the embedded data: PGlite database and filesystem blobs live beneath it. */
  dataDir: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl?: string;
  /** Largest manifest accepted, in bytes. */
  maxManifestBytes: number;
  /** Connections in the PostgreSQL pool. */
  databasePool: number;
  /** Where blobs live: the filesystem under the data dir, or an S3 bucket. */
  storage: StorageConfig;
  /** Who may do what: token authentication, users and namespaces. */
  auth: AuthConfig;
}

export interface AuthConfig {
  /** Off only for a local sandbox: every request is then allowed. */
  enabled: boolean;
  /** Password of the `admin` account created on first start; generated and printed when absent. */
  adminPassword?: string;
  /** PEM private key (ES256 or EdDSA) that signs tokens, or a path to one; kept in the data dir when absent. */
  tokenKey?: string;
  /** Lifetime of an access token, in seconds. */
  tokenTtlSeconds: number;
  /** The token service name (`aud`, `service=`); the request's host when absent. */
  service?: string;
  /** The Hub's address as clients reach it, e.g. behind a proxy; the request's own origin when absent. */
  publicUrl?: string;
}

export type StorageConfig = { kind: 'fs'; root: string } | ({ kind: 's3' } & S3Config);

/** The S3 settings are exactly what the S3 store takes. */
export type S3Config = S3StoreOptions;

export const DEFAULT_CONFIG_FILE = 'nocker-hub.yaml';
const DEFAULT_LISTEN = '127.0.0.1:5000';
const DEFAULT_DATA_DIR = './.nocker';
const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_DATABASE_POOL = 10;
const DEFAULT_S3_REGION = 'us-east-1';
const DEFAULT_TOKEN_TTL_SECONDS = 300;

/** A configuration value that is missing or wrong; the message names the key. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`invalid configuration: ${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Each setting: its env variable and its key in the YAML file (dots for nested maps). */
const SETTINGS = {
  listen: { env: 'NOCKER_LISTEN', file: 'listen' },
  dataDir: { env: 'NOCKER_DATA_DIR', file: 'dataDir' },
  databaseUrl: { env: 'DATABASE_URL', file: 'databaseUrl' },
  databasePool: { env: 'NOCKER_DB_POOL', file: 'databasePool' },
  maxManifestBytes: { env: 'NOCKER_MAX_MANIFEST_BYTES', file: 'maxManifestBytes' },
  s3Bucket: { env: 'NOCKER_S3_BUCKET', file: 's3.bucket' },
  s3Endpoint: { env: 'NOCKER_S3_ENDPOINT', file: 's3.endpoint' },
  s3Region: { env: 'NOCKER_S3_REGION', file: 's3.region' },
  s3Prefix: { env: 'NOCKER_S3_PREFIX', file: 's3.prefix' },
  s3ForcePathStyle: { env: 'NOCKER_S3_FORCE_PATH_STYLE', file: 's3.forcePathStyle' },
  s3Redirect: { env: 'NOCKER_S3_REDIRECT', file: 's3.redirect' },
  auth: { env: 'NOCKER_AUTH', file: 'auth.enabled' },
  adminPassword: { env: 'NOCKER_ADMIN_PASSWORD', file: 'auth.adminPassword' },
  tokenKey: { env: 'NOCKER_TOKEN_KEY', file: 'auth.tokenKey' },
  tokenTtl: { env: 'NOCKER_TOKEN_TTL', file: 'auth.tokenTtl' },
  authService: { env: 'NOCKER_AUTH_SERVICE', file: 'auth.service' },
  publicUrl: { env: 'NOCKER_PUBLIC_URL', file: 'auth.publicUrl' },
} as const;

type SettingName = keyof typeof SETTINGS;

export interface LoadConfigOptions {
  /** Environment to read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** YAML file given explicitly (`--config`); it must exist. */
  file?: string;
  /** Directory searched for `nocker-hub.yaml` when no file is given; defaults to the cwd. */
  cwd?: string;
}

/**
 * Builds the Hub configuration.
 *
 * @example
 * const config = loadConfig({ env: { NOCKER_LISTEN: '127.0.0.1:0' } });
 */
export function loadConfig(options: LoadConfigOptions = {}): HubConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fileValues = readConfigFile(options.file, cwd);

  const raw = (name: SettingName): { value: unknown; key: string } | undefined => {
    const setting = SETTINGS[name];
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, key: setting.env };
    if (fileValues && setting.file in fileValues) {
      return { value: fileValues[setting.file], key: `${fileValues.__path}: ${setting.file}` };
    }
    return undefined;
  };

  const listen = raw('listen');
  const dataDir = raw('dataDir');
  const databaseUrl = raw('databaseUrl');
  const pool = raw('databasePool');
  const maxManifest = raw('maxManifestBytes');
  const resolvedDataDir = resolve(cwd, requireString(dataDir?.value ?? DEFAULT_DATA_DIR, dataDir?.key ?? SETTINGS.dataDir.env));

  return {
    listen: parseListen(listen?.value ?? DEFAULT_LISTEN, listen?.key ?? SETTINGS.listen.env),
    dataDir: resolvedDataDir,
    databaseUrl: databaseUrl ? parseDatabaseUrl(databaseUrl.value, databaseUrl.key) : undefined,
    databasePool: pool ? parsePositiveInteger(pool.value, pool.key) : DEFAULT_DATABASE_POOL,
    maxManifestBytes: maxManifest
      ? parsePositiveInteger(maxManifest.value, maxManifest.key)
      : DEFAULT_MAX_MANIFEST_BYTES,
    storage: storageConfig(raw, resolvedDataDir),
    auth: authConfig(raw),
  };
}

function authConfig(raw: RawSetting): AuthConfig {
  const enabled = raw('auth');
  const adminPassword = raw('adminPassword');
  const tokenKey = raw('tokenKey');
  const ttl = raw('tokenTtl');
  const service = raw('authService');
  const publicUrl = raw('publicUrl');
  return {
    enabled: enabled ? parseBoolean(enabled.value, enabled.key) : true,
    adminPassword: adminPassword ? requirePassword(adminPassword.value, adminPassword.key) : undefined,
    tokenKey: tokenKey ? requireString(tokenKey.value, tokenKey.key) : undefined,
    tokenTtlSeconds: ttl ? parsePositiveInteger(ttl.value, ttl.key) : DEFAULT_TOKEN_TTL_SECONDS,
    service: service ? requireString(service.value, service.key) : undefined,
    publicUrl: publicUrl ? parseHttpUrl(publicUrl.value, publicUrl.key) : undefined,
  };
}

type RawSetting = (name: SettingName) => { value: unknown; key: string } | undefined;

/** S3 when a bucket is named, else the filesystem under the data dir. */
function storageConfig(raw: RawSetting, dataDir: string): StorageConfig {
  const bucket = raw('s3Bucket');
  if (!bucket) {
    for (const name of ['s3Endpoint', 's3Prefix', 's3Redirect'] as const) {
      const other = raw(name);
      if (other) throw new ConfigError(other.key, `has no effect without ${SETTINGS.s3Bucket.env} (or s3.bucket): name the bucket`);
    }
    return { kind: 'fs', root: resolve(dataDir, 'blobs') };
  }
  const name = requireString(bucket.value, bucket.key);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
    throw new ConfigError(bucket.key, `"${name}" is not a bucket name: 3 to 63 lowercase letters, digits, "." and "-"`);
  }
  const endpoint = raw('s3Endpoint');
  const region = raw('s3Region');
  const prefix = raw('s3Prefix');
  const pathStyle = raw('s3ForcePathStyle');
  const redirect = raw('s3Redirect');
  return {
    kind: 's3',
    bucket: name,
    endpoint: endpoint ? parseHttpUrl(endpoint.value, endpoint.key) : undefined,
    region: region ? requireString(region.value, region.key) : DEFAULT_S3_REGION,
    prefix: prefix ? requireString(prefix.value, prefix.key).replace(/^\/+|\/+$/g, '') : '',
    forcePathStyle: pathStyle ? parseBoolean(pathStyle.value, pathStyle.key) : endpoint !== undefined,
    redirect: redirect ? parseBoolean(redirect.value, redirect.key) : false,
  };
}

type FileValues = Record<string, unknown> & { __path: string };

function readConfigFile(explicit: string | undefined, cwd: string): FileValues | undefined {
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError('--config', `file ${path} does not exist`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(path, `not valid YAML (${(err as Error).message})`);
  }
  if (parsed === null || parsed === undefined) return { __path: path };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(path, 'expected a mapping of settings at the top level');
  }
  const known = new Set<string>(Object.values(SETTINGS).map((s) => s.file));
  const flat = flatten(parsed as Record<string, unknown>);
  for (const key of Object.keys(flat)) {
    if (!known.has(key)) {
      throw new ConfigError(`${path}: ${key}`, `unknown setting; known settings are ${[...known].join(', ')}`);
    }
  }
  return { ...flat, __path: path };
}

/** `{ s3: { bucket: x } }` → `{ 's3.bucket': x }`. */
function flatten(values: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(flat, flatten(value as Record<string, unknown>, `${prefix}${key}.`));
    } else {
      flat[`${prefix}${key}`] = value;
    }
  }
  return flat;
}

/** Passwords are taken exactly as given: spaces are part of them. */
function requirePassword(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.length < 8) throw new ConfigError(key, 'expected a password of at least 8 characters');
  return value;
}

function requireString(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(key, 'expected a non-empty string');
  return value.trim();
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListen(value: unknown, key: string): ListenAddress {
  const text = requireString(typeof value === 'number' ? `:${value}` : value, key);
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new ConfigError(key, `expected host:port such as 127.0.0.1:5000, got "${text}"`);
  }
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}

function parseDatabaseUrl(value: unknown, key: string): string {
  const text = requireString(value, key);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(key, 'expected a URL such as postgres://user:password@host:5432/db');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(key, `expected a postgres:// or postgresql:// URL, got ${url.protocol}//`);
  }
  return text;
}

function parseBoolean(value: unknown, key: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = requireString(value, key).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(key, `expected true or false, got "${text}"`);
}

function parseHttpUrl(value: unknown, key: string): string {
  const text = requireString(value, key);
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new ConfigError(key, `expected an http:// or https:// URL, got "${text}"`);
}

function parsePositiveInteger(value: unknown, key: string): number {
  const n = typeof value === 'number' ? value : Number(requireString(value, key));
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(key, `expected a positive whole number, got "${String(value)}"`);
  return n;
}

/** Where the database lives, for the start-up line, without the password. */
export function describeDatabase(config: HubConfig): string {
  if (!config.databaseUrl) return `pglite:${resolve(config.dataDir, 'db')}`;
  const url = new URL(config.databaseUrl);
  url.password = '';
  url.username = url.username ? url.username : '';
  return `postgres:${url.host}${url.pathname}`;
}
