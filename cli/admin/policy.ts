/** `nocker hub policy list|show|set|delete`: a namespace's trust policies, one per environment. */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { keyId, loadPublicKey } from '../../engine/sign/keys.ts';
import type { PolicyIdentity, PolicyKey, PolicyMode, TrustPolicy } from '../../hub/client/admin.ts';
import { DEFAULT_ENVIRONMENT } from '../../hub/policy/types.ts';
import { readCaCertificate } from '../../hub/policy/validate.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { connect, formatTable, oneOf, parse, printJson, unknownSub, when } from './common.ts';

const MODES: readonly PolicyMode[] = ['enforce', 'warn', 'off'];

/** `NAME=PATH` names the key or root; a bare path is named after its file (`keys/release.pub` → `release`). */
const NAMED_FILE = /^([^=/\\]+)=(.+)$/;

/** Reads the file of a `--key`/`--root [NAME=]PATH` option, with the name it gives. */
async function readNamedFile(flag: string, option: string): Promise<{ name: string; path: string; pem: string }> {
  const named = NAMED_FILE.exec(option);
  const path = named?.[2] ?? option;
  const name = named?.[1] ?? basename(path, extname(path));
  if (name === '') throw new UsageError(`${flag} ${option}: cannot name it after the file; use ${flag} NAME=${path}`);
  const pem = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`${flag} ${option}: cannot read ${path} (${err.code ?? err.message})`);
  });
  return { name, path, pem };
}

/**
 * Reads one `--key [NAME=]PUB.pem`, checking here that it is a public key the Hub will take, so
 * that the error names the file.
 *
 * @example
 * await readPolicyKey('ci=keys/cosign.pub'); // { name: 'ci', pem: '-----BEGIN PUBLIC KEY-----…' }
 */
export async function readPolicyKey(option: string): Promise<PolicyKey> {
  const { name, path, pem } = await readNamedFile('--key', option);
  loadPublicKey(pem, path);
  return { name, pem };
}

/**
 * Reads one `--root [NAME=]CA.pem`, checking here that it is one CA certificate, so that the
 * error names the file.
 *
 * @example
 * await readPolicyRoot('fulcio=fulcio-root.pem'); // { name: 'fulcio', pem: '-----BEGIN CERTIFICATE-----…' }
 */
export async function readPolicyRoot(option: string): Promise<PolicyKey> {
  const { name, path, pem } = await readNamedFile('--root', option);
  readCaCertificate(pem, path);
  return { name, pem };
}

/**
 * Reads one `--identity ISSUER=SUBJECT_REGEX`, split at the first `=`: issuers are URLs without
 * one, while a subject's regular expression may hold `=` (`(?=…)`). The Hub checks the rest.
 *
 * @example
 * parsePolicyIdentity('https://token.actions.githubusercontent.com=https://github\\.com/team/.+');
 */
export function parsePolicyIdentity(option: string): PolicyIdentity {
  const at = option.indexOf('=');
  const issuer = at < 0 ? '' : option.slice(0, at);
  const subject = at < 0 ? '' : option.slice(at + 1);
  if (issuer === '' || subject === '') {
    throw new UsageError(`--identity ${option}: expected ISSUER=SUBJECT_REGEX, such as https://token.actions.githubusercontent.com='https://github\\.com/team/.+'`);
  }
  return { issuer, subject };
}

/** `--required N`: a whole number of at least 1; `undefined` when not given. */
export function parseRequired(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--required: expected a whole number of at least 1, got "${text}"`);
  return Number(text);
}

/** The first 16 hex digits of the key's SHA-256 id, as `nocker verify` shows signers. */
const fingerprint = (pem: string) => keyId(loadPublicKey(pem)).slice(0, 16);

/** The first 16 hex digits of the certificate's SHA-256 fingerprint (of its DER), lowercase like key ids. */
const certificateFingerprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex').slice(0, 16);

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** What `required` is out of: "2 keys", "1 key and 2 identities", "2 identities". */
function signers(policy: TrustPolicy): string {
  const keys = plural(policy.keys.length, 'key', 'keys');
  const identities = plural(policy.identities.length, 'identity', 'identities');
  if (policy.identities.length === 0) return keys;
  return policy.keys.length === 0 ? identities : `${keys} and ${identities}`;
}

/** A policy, one `key: value` line each, then its keys, roots and identities. */
function describePolicy(policy: TrustPolicy): string {
  const rows = [
    ['namespace', policy.namespace],
    ['environment', policy.environment],
    ['mode', policy.mode],
    ['required', `${policy.required} of ${signers(policy)}`],
    ['version', String(policy.version)],
    ['updated', `${when(policy.updatedAt)} by ${policy.updatedBy}`],
  ];
  const section = (title: string, lines: string[]) => (lines.length > 0 ? `${title}:\n${lines.map((line) => `  ${line}\n`).join('')}` : '');
  return (
    rows.map(([key, value]) => `${`${key}:`.padEnd(14)}${value}\n`).join('') +
    section('keys', policy.keys.map((key) => `${key.name}  ${fingerprint(key.pem)}`)) +
    section('roots', policy.roots.map((root) => `${root.name}  ${certificateFingerprint(root.pem)}`)) +
    section('identities', policy.identities.map((identity) => `${identity.issuer}  ${identity.subject}`))
  );
}

const ENV_OPTION = { env: { type: 'string', default: DEFAULT_ENVIRONMENT } } as const;

/** `nocker hub policy …` */
export async function policyCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      const args = parse('policy list', rest, io, {}, ['NAMESPACE']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const policies = await ctx.admin.listPolicies(args.positionals[0] ?? '');
      if (ctx.json) return printJson(io, { policies });
      const rows = policies.map((p) => [p.environment, p.mode, p.keys.map((k) => k.name).join(',') || '-', String(p.required), String(p.version), p.updatedBy, when(p.updatedAt)]);
      io.stdout.write(formatTable(['ENVIRONMENT', 'MODE', 'KEYS', 'REQUIRED', 'VERSION', 'UPDATED BY', 'UPDATED'], rows));
      return 0;
    }
    case 'show': {
      const args = parse('policy show', rest, io, ENV_OPTION, ['NAMESPACE']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const policy = await ctx.admin.getPolicy(args.positionals[0] ?? '', args.values.env);
      if (ctx.json) return printJson(io, policy);
      io.stdout.write(describePolicy(policy));
      return 0;
    }
    case 'set': {
      const repeated = { type: 'string', multiple: true } as const;
      const args = parse('policy set', rest, io, { ...ENV_OPTION, mode: { type: 'string' }, key: repeated, root: repeated, identity: repeated, required: { type: 'string' } }, ['NAMESPACE']);
      if (!args) return 0;
      const mode = oneOf(args.values.mode, MODES, '--mode');
      if (mode === undefined) throw new UsageError(`policy set: give --mode ${MODES.join('|')}`);
      const required = parseRequired(args.values.required);
      const keys: PolicyKey[] = [];
      for (const option of args.values.key ?? []) keys.push(await readPolicyKey(option));
      const roots: PolicyKey[] = [];
      for (const option of args.values.root ?? []) roots.push(await readPolicyRoot(option));
      const identities = (args.values.identity ?? []).map(parsePolicyIdentity);
      const ctx = await connect(io, args.values.hub, args.values.json);
      const change = { mode, keys, roots, identities, ...(required === undefined ? {} : { required }) };
      const policy = await ctx.admin.setPolicy(args.positionals[0] ?? '', args.values.env, change);
      if (ctx.json) return printJson(io, policy);
      io.stdout.write(describePolicy(policy));
      return 0;
    }
    case 'delete': {
      const args = parse('policy delete', rest, io, ENV_OPTION, ['NAMESPACE']);
      if (!args) return 0;
      const namespace = args.positionals[0] ?? '';
      const ctx = await connect(io, args.values.hub, args.values.json);
      await ctx.admin.deletePolicy(namespace, args.values.env);
      if (!ctx.json) io.stdout.write(`Deleted the trust policy of ${namespace} for ${args.values.env}\n`);
      return 0;
    }
    default:
      return unknownSub('policy', sub, io);
  }
}
