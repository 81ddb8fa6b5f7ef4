/**
 * The policy edit forms as text a person types, and back: keys and roots as `NAME=PEM` blocks,
 * identities as `ISSUER=SUBJECT_REGEX` lines, the allowlist as `ID[@EXPIRY][=REASON]` lines.
 * These only split the text into the API's fields; whether a PEM, a regex or a date is valid is
 * for the API to say (its message is shown on the form).
 */
import type { PolicyChange, PolicyIdentity, PolicyKey, TrustPolicy } from '../../../hub/client/admin.ts';
import type { AllowedVulnerability, VulnerabilityPolicy, VulnerabilityPolicyChange } from '../../../hub/client/vulnerability-policies.ts';
import { OciError } from '../../../hub/oci/errors.ts';

/** What the trust policy form holds, as typed (re-rendered unchanged when the API refuses it). */
export interface TrustForm {
  environment: string;
  mode: string;
  required: string;
  keys: string;
  roots: string;
  identities: string;
}

/** What the vulnerability policy form holds, as typed. */
export interface VulnerabilityForm {
  environment: string;
  mode: string;
  severity: string;
  allowlist: string;
}

const text = (form: Record<string, unknown>, field: string): string => (typeof form[field] === 'string' ? (form[field] as string) : '');

/**
 * The trust policy fields of a posted form.
 *
 * @example
 * trustFormOf({ environment: 'production', mode: 'enforce', required: '1', keys: 'release=-----BEGIN…' }).mode; // 'enforce'
 */
export function trustFormOf(form: Record<string, unknown>): TrustForm {
  return { environment: text(form, 'environment').trim(), mode: text(form, 'mode'), required: text(form, 'required').trim(), keys: text(form, 'keys'), roots: text(form, 'roots'), identities: text(form, 'identities') };
}

/**
 * The vulnerability policy fields of a posted form.
 *
 * @example
 * vulnerabilityFormOf({ environment: 'production', mode: 'warn', severity: 'high', allowlist: '' }).severity; // 'high'
 */
export function vulnerabilityFormOf(form: Record<string, unknown>): VulnerabilityForm {
  return { environment: text(form, 'environment').trim(), mode: text(form, 'mode'), severity: text(form, 'severity'), allowlist: text(form, 'allowlist') };
}

const lines = (value: string): string[] => value.split(/\r?\n/);
const invalid = (message: string) => new OciError('REQUEST_INVALID', message);

/**
 * Reads `NAME=PEM` blocks: an entry starts at a line `NAME=…` outside a PEM block and runs to
 * the next one. PEM base64 lines may end in `=`, hence the block tracking.
 *
 * @example
 * parseNamedPems('release=-----BEGIN PUBLIC KEY-----\nMFkw…\n-----END PUBLIC KEY-----', 'key');
 * // [{ name: 'release', pem: '-----BEGIN PUBLIC KEY-----\nMFkw…\n-----END PUBLIC KEY-----\n' }]
 */
export function parseNamedPems(value: string, what: string): PolicyKey[] {
  const entries: { name: string; lines: string[] }[] = [];
  let inBlock = false;
  for (const line of lines(value)) {
    const start = inBlock ? null : /^\s*([^\s=]+)\s*=(.*)$/.exec(line);
    if (start) entries.push({ name: start[1]!, lines: [start[2]!.trim()] });
    else if (entries.length > 0) entries[entries.length - 1]!.lines.push(line.trim());
    else if (line.trim() !== '') throw invalid(`each ${what} starts with its name and an equals sign: NAME=-----BEGIN …`);
    if (line.includes('-----BEGIN ')) inBlock = true;
    if (line.includes('-----END ')) inBlock = false;
  }
  return entries.map((entry) => ({ name: entry.name, pem: `${entry.lines.join('\n').trim()}\n` }));
}

/**
 * Reads `ISSUER=SUBJECT_REGEX` lines (split at the first `=`; blank lines skipped).
 *
 * @example
 * parseIdentities('https://accounts.google.com=.+@example\\.com'); // [{ issuer: 'https://accounts.google.com', subject: '.+@example\\.com' }]
 */
export function parseIdentities(value: string): PolicyIdentity[] {
  return lines(value)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const eq = line.indexOf('=');
      if (eq <= 0) throw invalid(`"${line}" is not an identity: write ISSUER=SUBJECT_REGEX, one a line`);
      return { issuer: line.slice(0, eq).trim(), subject: line.slice(eq + 1).trim() };
    });
}

/**
 * Reads `ID[@EXPIRY][=REASON]` lines (blank lines skipped).
 *
 * @example
 * parseAllowlist('CVE-2024-1@2030-01-31=not reachable\nGHSA-xxxx'); // [{ id: 'CVE-2024-1', expires: '2030-01-31', reason: 'not reachable' }, { id: 'GHSA-xxxx' }]
 */
export function parseAllowlist(value: string): AllowedVulnerability[] {
  return lines(value)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const eq = line.indexOf('=');
      const head = (eq === -1 ? line : line.slice(0, eq)).trim();
      const reason = eq === -1 ? '' : line.slice(eq + 1).trim();
      const at = head.indexOf('@');
      const id = (at === -1 ? head : head.slice(0, at)).trim();
      const expires = at === -1 ? '' : head.slice(at + 1).trim();
      return { id, ...(expires ? { expires } : {}), ...(reason ? { reason } : {}) };
    });
}

/**
 * The API body of a trust policy form; REQUEST_INVALID when the text cannot be split into fields.
 *
 * @example
 * trustChange({ environment: 'production', mode: 'off', required: '', keys: '', roots: '', identities: '' }); // { mode: 'off', keys: [], roots: [], identities: [] }
 */
export function trustChange(form: TrustForm): PolicyChange {
  const required = form.required === '' ? undefined : Number(form.required);
  if (required !== undefined && !Number.isSafeInteger(required)) throw invalid('required must be a whole number');
  return {
    mode: form.mode as PolicyChange['mode'],
    keys: parseNamedPems(form.keys, 'key'),
    roots: parseNamedPems(form.roots, 'root certificate'),
    identities: parseIdentities(form.identities),
    ...(required === undefined ? {} : { required }),
  };
}

/**
 * The API body of a vulnerability policy form.
 *
 * @example
 * vulnerabilityChange({ environment: 'production', mode: 'enforce', severity: 'high', allowlist: 'CVE-2024-1' }); // { mode: 'enforce', severity: 'high', allowlist: [{ id: 'CVE-2024-1' }] }
 */
export function vulnerabilityChange(form: VulnerabilityForm): VulnerabilityPolicyChange {
  return { mode: form.mode as VulnerabilityPolicyChange['mode'], severity: form.severity as VulnerabilityPolicyChange['severity'], allowlist: parseAllowlist(form.allowlist) };
}

/**
 * A stored trust policy as its form's text.
 *
 * @example
 * trustFormFor(policy).keys; // 'release=-----BEGIN PUBLIC KEY-----\n…'
 */
export function trustFormFor(policy: TrustPolicy | undefined, environment: string): TrustForm {
  const pems = (list: PolicyKey[]) => list.map((key) => `${key.name}=${key.pem.trim()}`).join('\n');
  return {
    environment,
    mode: policy?.mode ?? 'enforce',
    required: String(policy?.required ?? 1),
    keys: policy ? pems(policy.keys) : '',
    roots: policy ? pems(policy.roots) : '',
    identities: policy ? policy.identities.map((i) => `${i.issuer}=${i.subject}`).join('\n') : '',
  };
}

/**
 * A stored vulnerability policy as its form's text.
 *
 * @example
 * vulnerabilityFormFor(policy).allowlist; // 'CVE-2024-1@2030-01-31=not reachable'
 */
export function vulnerabilityFormFor(policy: VulnerabilityPolicy | undefined, environment: string): VulnerabilityForm {
  return {
    environment,
    mode: policy?.mode ?? 'enforce',
    severity: policy?.severity ?? 'high',
    allowlist: policy ? policy.allowlist.map((e) => `${e.id}${e.expires ? `@${e.expires}` : ''}${e.reason ? `=${e.reason}` : ''}`).join('\n') : '',
  };
}
