/**
 * What a trust policy may say, checked once for the API and the store alike: every refusal is a
 * REQUEST_INVALID naming the field, in words a person can act on.
 */
import { X509Certificate } from 'node:crypto';
import { loadPublicKey, keyId, SigningKeyError } from '../../engine/sign/keys.ts';
import { OciError } from '../oci/errors.ts';
import type { PolicyIdentity, PolicyKey, PolicyMode } from './types.ts';

export const POLICY_MODES: readonly PolicyMode[] = ['enforce', 'warn', 'off'];

/** What a caller sets; the store adds the version and who changed it when. Roots and identities default to none. */
export interface PolicyInput {
  mode: PolicyMode;
  keys: PolicyKey[];
  roots?: PolicyKey[];
  identities?: PolicyIdentity[];
  required: number;
}

/** A policy as {@link parsePolicyInput} returns it: every list present, every PEM normalised. */
export type CheckedPolicyInput = Required<PolicyInput>;

/** A root that is not one CA certificate; the message names it and says why. */
export class RootCertificateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RootCertificateError';
  }
}

const ENVIRONMENT = /^[a-z][a-z0-9-]{0,31}$/;
const MAX_KEY_NAME = 64;
const MAX_IDENTITY_FIELD = 512;
const CONTROL = /[\p{Cc}]/u;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;
const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;

const invalid = (field: string, message: string) => new OciError('REQUEST_INVALID', message, { detail: { field } });

/** An environment name: 1 to 32 lowercase letters, digits or hyphens, starting with a letter. */
export function validateEnvironment(environment: string): string {
  if (!ENVIRONMENT.test(environment)) {
    throw invalid('environment', `"${environment}" is not a valid environment name: use 1 to 32 lowercase letters, digits or hyphens, starting with a letter`);
  }
  return environment;
}

/**
 * Reads one CA certificate, as a policy's root: exactly one PEM certificate block, which
 * node:crypto parses and whose basic constraints make it a CA. `source` names it in errors.
 *
 * @example
 * readCaCertificate(pem, 'root "fulcio"').fingerprint256;
 */
export function readCaCertificate(pem: string, source: string): X509Certificate {
  const refuse = (reason: string, cause?: unknown) => new RootCertificateError(`${source} is not a CA certificate: ${reason}`, { cause });
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    const other = PEM_LABEL.exec(pem)?.[1];
    throw refuse(other ? `it holds a ${other} block, not a CERTIFICATE` : 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  // A bundle would hide all but its first certificate from whoever reads the policy.
  if (blocks.length > 1) throw refuse(`it holds ${blocks.length} certificates: give each root on its own`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(blocks[0] ?? '');
  } catch (err) {
    throw refuse(`it cannot be read (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (!certificate.ca) throw refuse(`${certificate.subject.replace(/\n/g, ', ')} is a leaf certificate (its basic constraints do not say CA:TRUE)`);
  return certificate;
}

/**
 * Reads a policy from untrusted input (a request body, or a caller of the store). Keys come back
 * as the SPKI PEM Node writes and roots as their one certificate block, so the registry reads
 * exactly one well-formed block each.
 *
 * @example
 * parsePolicyInput({ mode: 'enforce', keys: [{ name: 'release', pem }], required: 1 });
 * parsePolicyInput({ mode: 'enforce', roots: [{ name: 'fulcio', pem: caPem }], identities: [{ issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github\\.com/team/.+' }] });
 */
export function parsePolicyInput(value: unknown): CheckedPolicyInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('policy', 'a policy must be a JSON object with mode, keys, roots, identities and required');
  const body = value as Record<string, unknown>;
  const mode = body.mode;
  if (typeof mode !== 'string' || !(POLICY_MODES as readonly string[]).includes(mode)) {
    throw invalid('mode', `mode must be one of ${POLICY_MODES.join(', ')}, got ${JSON.stringify(mode ?? null)}`);
  }
  const keys = parseNamedPems(body.keys ?? [], KEYS);
  const roots = parseNamedPems(body.roots ?? [], ROOTS);
  const identities = parseIdentities(body.identities ?? []);
  // Roots only say whom to believe about identities; each is useless without the other.
  if (identities.length > 0 && roots.length === 0) throw invalid('roots', 'identities need at least one root: the CA certificate their signing certificates chain to');
  if (roots.length > 0 && identities.length === 0) throw invalid('identities', 'roots are of no use without identities: say who may sign keylessly, or remove the roots');
  const required = body.required ?? 1;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1) {
    throw invalid('required', `required must be a whole number of at least 1, got ${JSON.stringify(required)}`);
  }
  if (mode !== 'off') {
    if (keys.length === 0 && identities.length === 0) throw invalid('keys', `mode ${mode} needs at least one trusted key, or roots and identities for keyless signing`);
    // Each key and each identity is one possible distinct signer.
    if (required > keys.length + identities.length) throw invalid('required', `required is ${required} but only ${countSigners(keys.length, identities.length)} given`);
  }
  return { mode: mode as PolicyMode, keys, roots, identities, required };
}

/** "1 trusted key is", "2 trusted keys and 1 identity are", "3 identities are". */
function countSigners(keys: number, identities: number): string {
  const parts = [
    ...(keys > 0 || identities === 0 ? [`${keys} trusted key${keys === 1 ? '' : 's'}`] : []),
    ...(identities > 0 ? [`${identities} ${identities === 1 ? 'identity' : 'identities'}`] : []),
  ];
  return `${parts.join(' and ')} ${keys + identities === 1 ? 'is' : 'are'}`;
}

/** How one list of named PEM entries (`keys`, `roots`) is read and told apart. */
interface NamedPemList {
  list: 'keys' | 'roots';
  noun: 'key' | 'root';
  /** What `pem` must hold, for "must be the PEM text of …". */
  holds: string;
  /** The normalised PEM and an id equal for the same key or certificate under any spelling. */
  read(pem: string, name: string, field: string): { pem: string; id: string };
}

const KEYS: NamedPemList = {
  list: 'keys',
  noun: 'key',
  holds: 'a public key',
  read(pem, name, field) {
    try {
      const key = loadPublicKey(pem, `key "${name}"`);
      return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), id: keyId(key) };
    } catch (err) {
      if (err instanceof SigningKeyError) throw invalid(field, err.message);
      throw err;
    }
  },
};

const ROOTS: NamedPemList = {
  list: 'roots',
  noun: 'root',
  holds: 'a CA certificate',
  read(pem, name, field) {
    try {
      const certificate = readCaCertificate(pem, `root "${name}"`);
      return { pem: certificate.toString(), id: certificate.fingerprint256 };
    } catch (err) {
      if (err instanceof RootCertificateError) throw invalid(field, err.message);
      throw err;
    }
  },
};

function parseNamedPems(value: unknown, kind: NamedPemList): PolicyKey[] {
  const { list, noun } = kind;
  if (!Array.isArray(value)) throw invalid(list, `${list} must be a list of {"name", "pem"} objects`);
  const names = new Map<string, number>();
  const ids = new Map<string, string>();
  return value.map((entry: unknown, i) => {
    const field = `${list}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(field, `${field} must be an object with name and pem`);
    const { name, pem } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_KEY_NAME || CONTROL.test(name)) {
      throw invalid(`${field}.name`, `${field}.name must be a non-empty name of at most ${MAX_KEY_NAME} characters`);
    }
    const earlier = names.get(name);
    if (earlier !== undefined) throw invalid(`${field}.name`, `two ${list} are named "${name}" (${list}[${earlier}] and ${field}): ${noun} names must be unique`);
    names.set(name, i);
    if (typeof pem !== 'string') throw invalid(`${field}.pem`, `${field}.pem must be the PEM text of ${kind.holds}`);
    const read = kind.read(pem, name, `${field}.pem`);
    // The same key under two names would count twice towards `required`.
    const twin = ids.get(read.id);
    if (twin !== undefined) throw invalid(`${field}.pem`, `${list} "${twin}" and "${name}" are the same ${noun === 'key' ? 'public key' : 'certificate'}`);
    ids.set(read.id, name);
    return { name, pem: read.pem };
  });
}

function parseIdentities(value: unknown): PolicyIdentity[] {
  if (!Array.isArray(value)) throw invalid('identities', 'identities must be a list of {"issuer", "subject"} objects');
  const seen = new Map<string, number>();
  return value.map((entry: unknown, i) => {
    const field = `identities[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(field, `${field} must be an object with issuer and subject`);
    const { issuer, subject } = entry as Record<string, unknown>;
    // Compared exactly with the certificate's issuer: stray spaces would never match.
    if (typeof issuer !== 'string' || issuer === '' || issuer.length > MAX_IDENTITY_FIELD || issuer.trim() !== issuer || CONTROL.test(issuer)) {
      throw invalid(`${field}.issuer`, `${field}.issuer must be the OIDC issuer (such as https://token.actions.githubusercontent.com): at most ${MAX_IDENTITY_FIELD} characters, without spaces around`);
    }
    const named = `${field} (issuer ${issuer})`;
    if (typeof subject !== 'string' || subject === '' || subject.length > MAX_IDENTITY_FIELD) {
      throw invalid(`${field}.subject`, `${named}: subject must be a regular expression of 1 to ${MAX_IDENTITY_FIELD} characters`);
    }
    checkSubject(subject, `${field}.subject`, named);
    const identity = `${issuer}\n${subject}`;
    const earlier = seen.get(identity);
    // The same signer twice would count twice towards `required`.
    if (earlier !== undefined) throw invalid(field, `identities[${earlier}] and ${field} are the same signer (issuer ${issuer}, subject ${subject})`);
    seen.set(identity, i);
    return { issuer, subject };
  });
}

/**
 * The subject is matched whole, as `^(?:SUBJECT)$`. It must compile on its own first: `a)|(b`
 * compiles once wrapped, but then matches any subject that merely starts with `a`.
 */
function checkSubject(subject: string, field: string, named: string): void {
  for (const pattern of [subject, `^(?:${subject})$`]) {
    try {
      new RegExp(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '') : String(err);
      throw invalid(field, `${named}: subject ${JSON.stringify(subject)} is not a valid regular expression (${reason})`);
    }
  }
}
