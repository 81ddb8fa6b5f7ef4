/** `nocker hub policy list|show|set|delete`: a namespace's trust policies, one per environment. */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { keyId, loadPublicKey } from '../../engine/sign/keys.ts';
import type { PolicyKey, PolicyMode, TrustPolicy } from '../../hub/client/admin.ts';
import { DEFAULT_ENVIRONMENT } from '../../hub/policy/types.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { connect, formatTable, oneOf, parse, printJson, unknownSub, when } from './common.ts';

const MODES: readonly PolicyMode[] = ['enforce', 'warn', 'off'];

/** `NAME=PATH` names the key; a bare path is named after its file (`keys/release.pub` → `release`). */
const NAMED_KEY = /^([^=/\\]+)=(.+)$/;

/**
 * Reads one `--key [NAME=]PUB.pem`, checking here that it is a public key the Hub will take, so
 * that the error names the file.
 *
 * @example
 * await readPolicyKey('ci=keys/cosign.pub'); // { name: 'ci', pem: '-----BEGIN PUBLIC KEY-----…' }
 */
export async function readPolicyKey(option: string): Promise<PolicyKey> {
  const named = NAMED_KEY.exec(option);
  const path = named?.[2] ?? option;
  const name = named?.[1] ?? basename(path, extname(path));
  if (name === '') throw new UsageError(`--key ${option}: cannot name the key after the file; use --key NAME=${path}`);
  const pem = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`--key ${option}: cannot read ${path} (${err.code ?? err.message})`);
  });
  loadPublicKey(pem, path);
  return { name, pem };
}

/** `--required N`: a whole number of at least 1; `undefined` when not given. */
export function parseRequired(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--required: expected a whole number of at least 1, got "${text}"`);
  return Number(text);
}

/** The first 16 hex digits of the key's SHA-256 id, as `nocker verify` shows signers. */
const fingerprint = (pem: string) => keyId(loadPublicKey(pem)).slice(0, 16);

/** A policy, one `key: value` line each, then its keys. */
function describePolicy(policy: TrustPolicy): string {
  const rows = [
    ['namespace', policy.namespace],
    ['environment', policy.environment],
    ['mode', policy.mode],
    ['required', `${policy.required} of ${policy.keys.length} key${policy.keys.length === 1 ? '' : 's'}`],
    ['version', String(policy.version)],
    ['updated', `${when(policy.updatedAt)} by ${policy.updatedBy}`],
  ];
  const keys = policy.keys.map((key) => `  ${key.name}  ${fingerprint(key.pem)}\n`).join('');
  return rows.map(([key, value]) => `${`${key}:`.padEnd(14)}${value}\n`).join('') + (keys ? `keys:\n${keys}` : '');
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
      const args = parse('policy set', rest, io, { ...ENV_OPTION, mode: { type: 'string' }, key: { type: 'string', multiple: true }, required: { type: 'string' } }, ['NAMESPACE']);
      if (!args) return 0;
      const mode = oneOf(args.values.mode, MODES, '--mode');
      if (mode === undefined) throw new UsageError(`policy set: give --mode ${MODES.join('|')}`);
      const required = parseRequired(args.values.required);
      const keys: PolicyKey[] = [];
      for (const option of args.values.key ?? []) keys.push(await readPolicyKey(option));
      const ctx = await connect(io, args.values.hub, args.values.json);
      const policy = await ctx.admin.setPolicy(args.positionals[0] ?? '', args.values.env, { mode, keys, ...(required === undefined ? {} : { required }) });
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
