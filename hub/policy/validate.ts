/**
 * What a trust policy may say, checked once for the API and the store alike: every refusal is a
 * REQUEST_INVALID naming the field, in words a person can act on.
 */
import { loadPublicKey, keyId, SigningKeyError } from '../../engine/sign/keys.ts';
import { OciError } from '../oci/errors.ts';
import type { PolicyKey, PolicyMode } from './types.ts';

export const POLICY_MODES: readonly PolicyMode[] = ['enforce', 'warn', 'off'];

/** What a caller sets; the store adds the version and who changed it when. */
export interface PolicyInput {
  mode: PolicyMode;
  keys: PolicyKey[];
  required: number;
}

const ENVIRONMENT = /^[a-z][a-z0-9-]{0,31}$/;
const MAX_KEY_NAME = 64;

const invalid = (field: string, message: string) => new OciError('REQUEST_INVALID', message, { detail: { field } });

/** An environment name: 1 to 32 lowercase letters, digits or hyphens, starting with a letter. */
export function validateEnvironment(environment: string): string {
  if (!ENVIRONMENT.test(environment)) {
    throw invalid('environment', `"${environment}" is not a valid environment name: use 1 to 32 lowercase letters, digits or hyphens, starting with a letter`);
  }
  return environment;
}

/**
 * Reads a policy from untrusted input (a request body, or a caller of the store). Keys come back
 * as the SPKI PEM Node writes, so the registry reads exactly one well-formed block each.
 *
 * @example
 * parsePolicyInput({ mode: 'enforce', keys: [{ name: 'release', pem }], required: 1 });
 */
export function parsePolicyInput(value: unknown): PolicyInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('policy', 'a policy must be a JSON object with mode, keys and required');
  const body = value as Record<string, unknown>;
  const mode = body.mode;
  if (typeof mode !== 'string' || !(POLICY_MODES as readonly string[]).includes(mode)) {
    throw invalid('mode', `mode must be one of ${POLICY_MODES.join(', ')}, got ${JSON.stringify(mode ?? null)}`);
  }
  const keys = parseKeys(body.keys ?? []);
  const required = body.required ?? 1;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1) {
    throw invalid('required', `required must be a whole number of at least 1, got ${JSON.stringify(required)}`);
  }
  if (mode !== 'off') {
    if (keys.length === 0) throw invalid('keys', `mode ${mode} needs at least one trusted key`);
    if (required > keys.length) throw invalid('required', `required is ${required} but only ${keys.length} trusted key${keys.length === 1 ? ' is' : 's are'} given`);
  }
  return { mode: mode as PolicyMode, keys, required };
}

function parseKeys(value: unknown): PolicyKey[] {
  if (!Array.isArray(value)) throw invalid('keys', 'keys must be a list of {"name", "pem"} objects');
  const names = new Map<string, number>();
  const ids = new Map<string, string>();
  return value.map((entry: unknown, i) => {
    const field = `keys[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(field, `${field} must be an object with name and pem`);
    const { name, pem } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_KEY_NAME || /[\p{Cc}]/u.test(name)) {
      throw invalid(`${field}.name`, `${field}.name must be a non-empty name of at most ${MAX_KEY_NAME} characters`);
    }
    const earlier = names.get(name);
    if (earlier !== undefined) throw invalid(`${field}.name`, `two keys are named "${name}" (keys[${earlier}] and ${field}): key names must be unique`);
    names.set(name, i);
    if (typeof pem !== 'string') throw invalid(`${field}.pem`, `${field}.pem must be the PEM text of a public key`);
    const key = readKey(pem, name, `${field}.pem`);
    // The same key under two names would count twice towards `required`.
    const id = keyId(key);
    const twin = ids.get(id);
    if (twin !== undefined) throw invalid(`${field}.pem`, `keys "${twin}" and "${name}" are the same public key`);
    ids.set(id, name);
    return { name, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
  });
}

function readKey(pem: string, name: string, field: string) {
  try {
    return loadPublicKey(pem, `key "${name}"`);
  } catch (err) {
    if (err instanceof SigningKeyError) throw invalid(field, err.message);
    throw err;
  }
}
