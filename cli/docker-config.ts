/**
 * The Docker config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), where
 * `nocker login` keeps credentials exactly as `docker login` does: `auths["host:port"].auth` is
 * base64 of `user:password`. Only `auths` is touched; every other key of the file is kept.
 * Credential helpers (`credsStore`, `credHelpers`) are not supported.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Credentials } from '../hub/client/client.ts';
import { hubHost } from '../hub/client/address.ts';

/** Where the file is looked for; the process environment by default. */
export interface DockerConfigOptions {
  env?: Record<string, string | undefined>;
}

/** The file cannot be read or written, or it is not a JSON object. */
export class DockerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerConfigError';
  }
}

type ConfigFile = Record<string, unknown>;
type AuthEntry = Record<string, unknown>;

/**
 * The config file's path: `$DOCKER_CONFIG/config.json` when DOCKER_CONFIG is set, else
 * `~/.docker/config.json`.
 */
export function dockerConfigPath(options: DockerConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const dir = env.DOCKER_CONFIG?.trim() ? env.DOCKER_CONFIG : join(env.HOME?.trim() ? env.HOME : homedir(), '.docker');
  return join(dir, 'config.json');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new DockerConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DockerConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new DockerConfigError(`${path} is not a JSON object`);
  if (parsed.auths !== undefined && !isObject(parsed.auths)) throw new DockerConfigError(`${path}: "auths" is not an object`);
  return parsed;
}

/** Writes through a temporary file in the same directory and a rename, so a reader never sees half a file. */
async function writeConfig(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // A config.json that is a symbolic link (dotfile managers) stays one: its target is replaced.
  const target = await realpath(path).catch(() => path);
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify(config, null, '\t'), 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new DockerConfigError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

/** The host an `auths` key names: keys such as `https://host:port/v1/` count for `host:port`. */
function keyHost(key: string): string {
  return key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0]?.toLowerCase() ?? '';
}

/** The `auths` keys for `host`: the exact key first, then keys written with a scheme or path. */
function keysFor(config: ConfigFile, host: string): string[] {
  const auths = isObject(config.auths) ? config.auths : {};
  const keys = Object.keys(auths).filter((key) => key !== host && keyHost(key) === host.toLowerCase());
  return Object.hasOwn(auths, host) ? [host, ...keys] : keys;
}

function decodeAuth(entry: AuthEntry): Credentials | undefined {
  // What docker login keeps when the registry hands out refresh tokens: the name and that token.
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    const decoded = typeof entry.auth === 'string' ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
    const username = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : typeof entry.username === 'string' ? entry.username : '';
    return { username, password: '', identityToken: entry.identitytoken };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** The credential helper the file names for `host`, if any: `credHelpers[host]`, else `credsStore`. */
export function credentialHelperFor(config: ConfigFile, host: string): { helper: string; key: string } | undefined {
  if (isObject(config.credHelpers)) {
    for (const [key, helper] of Object.entries(config.credHelpers)) {
      if (keyHost(key) === host.toLowerCase() && typeof helper === 'string' && helper !== '') return { helper, key: `credHelpers["${key}"]` };
    }
  }
  if (typeof config.credsStore === 'string' && config.credsStore !== '') return { helper: config.credsStore, key: 'credsStore' };
  return undefined;
}

/**
 * The user name and password saved for a Hub (a URL or `host:port`), if any.
 *
 * @example
 * const creds = await credentialsFor('http://127.0.0.1:5000'); // { username: 'admin', password: '…' }
 */
export async function credentialsFor(hub: string, options: DockerConfigOptions = {}): Promise<Credentials | undefined> {
  const host = hubHost(hub);
  const config = await readConfig(dockerConfigPath(options));
  const auths = isObject(config.auths) ? config.auths : {};
  for (const key of keysFor(config, host)) {
    const entry = auths[key];
    const credentials = isObject(entry) ? decodeAuth(entry) : undefined;
    if (credentials) return credentials;
  }
  return undefined;
}

/**
 * Like {@link credentialsFor}, but throws when there are none, saying how to log in (and that
 * credentials kept by a credential helper cannot be read).
 */
export async function requireCredentials(hub: string, options: DockerConfigOptions = {}): Promise<Credentials> {
  const credentials = await credentialsFor(hub, options);
  if (credentials) return credentials;
  const host = hubHost(hub);
  const path = dockerConfigPath(options);
  const helper = credentialHelperFor(await readConfig(path), host);
  if (helper) {
    throw new DockerConfigError(
      `no credentials for ${host} in the "auths" of ${path}; ${helper.key} names the credential helper "docker-credential-${helper.helper}", ` +
        `and credential helpers are not supported: run "nocker login ${host}" to store the credentials in "auths"`,
    );
  }
  throw new DockerConfigError(`not logged in to ${host}: run "nocker login ${host}" first`);
}

/** What {@link saveCredentials} did. */
export interface SaveResult {
  path: string;
  /** Things the user should know, such as a credential helper the file names but nocker ignores. */
  warnings: string[];
}

/**
 * Saves `username:password` for a Hub in `auths`, as `docker login` does, keeping every other key
 * of the file and of the entry, except an `identitytoken`: it belongs to the login this one
 * replaces. The file is written atomically with mode 0600; its directory is created with mode 0700.
 */
export async function saveCredentials(hub: string, username: string, password: string, options: DockerConfigOptions = {}): Promise<SaveResult> {
  if (username === '' || username.includes(':')) throw new DockerConfigError(`"${username}" cannot be saved as a user name: it is empty or has a ":"`);
  const host = hubHost(hub);
  const path = dockerConfigPath(options);
  const config = await readConfig(path);
  const auths: Record<string, unknown> = isObject(config.auths) ? config.auths : {};
  const { identitytoken: _replaced, ...existing } = isObject(auths[host]) ? auths[host] : {};
  auths[host] = { ...existing, auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  config.auths = auths;
  await writeConfig(path, config);
  const warnings: string[] = [];
  const helper = credentialHelperFor(config, host);
  if (helper) {
    warnings.push(
      `${path} names the credential helper "${helper.helper}" (${helper.key}), but credential helpers are not supported: ` +
        `the credentials were stored in "auths" instead, readable by anyone who can read the file`,
    );
  }
  return { path, warnings };
}

/**
 * Removes every `auths` entry for a Hub (identity tokens included). Resolves to whether there
 * was one; the file is left alone when there was not.
 */
export async function removeCredentials(hub: string, options: DockerConfigOptions = {}): Promise<boolean> {
  const host = hubHost(hub);
  const path = dockerConfigPath(options);
  const config = await readConfig(path);
  const keys = keysFor(config, host);
  if (keys.length === 0 || !isObject(config.auths)) return false;
  for (const key of keys) delete config.auths[key];
  await writeConfig(path, config);
  return true;
}
