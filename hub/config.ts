/**
 * The Hub's configuration: one typed object built from environment variables, which win, over an
 * optional YAML file (`nocker-hub.yaml`, or the file given with `--config`). Every value is
 * validated here, so that the rest of the Hub can trust it; a bad value stops the start with a
 * message naming the key.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

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
}

export const DEFAULT_CONFIG_FILE = 'nocker-hub.yaml';
const DEFAULT_LISTEN = '127.0.0.1:5000';
const DEFAULT_DATA_DIR = './.nocker';
const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

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

/** Each setting: its env variable and its key in the YAML file. */
const SETTINGS = {
  listen: { env: 'NOCKER_LISTEN', file: 'listen' },
  dataDir: { env: 'NOCKER_DATA_DIR', file: 'dataDir' },
  databaseUrl: { env: 'DATABASE_URL', file: 'databaseUrl' },
  maxManifestBytes: { env: 'NOCKER_MAX_MANIFEST_BYTES', file: 'maxManifestBytes' },
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
  const maxManifest = raw('maxManifestBytes');

  return {
    listen: parseListen(listen?.value ?? DEFAULT_LISTEN, listen?.key ?? SETTINGS.listen.env),
    dataDir: resolve(cwd, requireString(dataDir?.value ?? DEFAULT_DATA_DIR, dataDir?.key ?? SETTINGS.dataDir.env)),
    databaseUrl: databaseUrl ? parseDatabaseUrl(databaseUrl.value, databaseUrl.key) : undefined,
    maxManifestBytes: maxManifest
      ? parsePositiveInteger(maxManifest.value, maxManifest.key)
      : DEFAULT_MAX_MANIFEST_BYTES,
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
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) {
      throw new ConfigError(`${path}: ${key}`, `unknown setting; known settings are ${[...known].join(', ')}`);
    }
  }
  return { ...(parsed as Record<string, unknown>), __path: path };
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
