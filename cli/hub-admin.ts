/**
 * `nocker hub user|namespace|robot|token|audit …`: the Hub's accounts, namespaces, robots, tokens
 * and audit log, through its `/api/v1` with the credentials `nocker login` saved for that Hub.
 * Plain aligned tables by default, the Hub's JSON with `--json`.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HubAdmin, DELETE_POLICIES, ROLES, type AuditEntry, type DeletePolicy, type Namespace, type Permission, type Role } from '../hub/client/admin.ts';
import { HubClient } from '../hub/client/client.ts';
import { validateRepositoryName } from '../hub/oci/names.ts';
import { parseDuration } from '../hub/registry/gc.ts';
import { requireCredentials } from './docker-config.ts';
import { hubUrlFrom, isInteractive, parseOrUsage, processIO, promptSecret, readSecretFromStdin, type CommandIO } from './login.ts';
import { UsageError } from './usage.ts';

export const HUB_ADMIN_HELP = `Managing a running Hub, as the account "nocker login" saved for it (options: --hub HUB, --json):
  nocker hub user list
  nocker hub user create NAME [--admin] [--password-stdin]
  nocker hub user passwd NAME [--password-stdin]
  nocker hub user delete NAME
      Without --password-stdin the password is asked for on a terminal; elsewhere a strong
      one is generated and printed once.

  nocker hub namespace list
  nocker hub namespace create NAME [--public]
  nocker hub namespace show NAME
  nocker hub namespace set NAME [--visibility public|private] [--immutable-tags on|off]
                                [--delete-policy developer|maintainer|owner|admin]
  nocker hub namespace delete NAME
  nocker hub namespace members NAME
  nocker hub namespace member add NAME ACCOUNT ROLE      ROLE: owner, maintainer, developer, reader
  nocker hub namespace member remove NAME ACCOUNT

  nocker hub robot list
  nocker hub robot create NAME --access REPOSITORY:ACTIONS [--access …] [--expires 30d|DATE]
                               [--description TEXT]
      REPOSITORY is a repository name, a prefix ending in /* (team/*) or * for all; ACTIONS a
      comma list of pull, push, delete. Prints robot$NAME and its secret, once.
  nocker hub robot delete NAME

  nocker hub token list
  nocker hub token revoke ID

  nocker hub audit [--repository R] [--actor A] [--action X] [--since 1h|DATE] [--until 1h|DATE]
                   [--limit N] [--before CURSOR]
      The audit log, newest first (administrators only).
`;

/** The command groups this module serves. */
export const ADMIN_GROUPS = ['user', 'namespace', 'robot', 'token', 'audit'] as const;
export type AdminGroup = (typeof ADMIN_GROUPS)[number];

/** Actions a robot may be given on repositories. */
export const ROBOT_ACTIONS = ['pull', 'push', 'delete'] as const;

const COMMON_OPTIONS = {
  hub: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Reads one `--access REPOSITORY:ACTIONS` value.
 *
 * @example
 * parseAccess('team/*:pull,push'); // { repository: 'team/*', actions: ['pull', 'push'] }
 */
export function parseAccess(text: string): Permission {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new UsageError(`--access ${text}: expected REPOSITORY:ACTIONS, such as team/*:pull,push`);
  const repository = text.slice(0, colon);
  const name = repository.endsWith('/*') ? repository.slice(0, -2) : repository;
  try {
    if (repository !== '*') validateRepositoryName(name);
  } catch (err) {
    throw new UsageError(`--access ${text}: ${(err as Error).message} (a prefix ends in /*, as in team/*; * is every repository)`);
  }
  const actions = [...new Set(text.slice(colon + 1).split(',').map((a) => a.trim()).filter((a) => a !== ''))];
  const unknown = actions.filter((a) => !(ROBOT_ACTIONS as readonly string[]).includes(a));
  if (actions.length === 0 || unknown.length > 0) {
    throw new UsageError(`--access ${text}: ${unknown[0] ? `"${unknown[0]}" is not an action` : 'no actions'}; use ${ROBOT_ACTIONS.join(', ')}`);
  }
  return { repository, actions };
}

/** A duration such as `30d` (with a unit) or an ISO 8601 date, as milliseconds since the epoch. */
function parseWhen(text: string, option: string, direction: 1 | -1, now: number): number {
  if (/^\d+(ms|s|m|h|d)$/.test(text.trim())) return now + direction * parseDuration(text, option);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new UsageError(`${option}: expected a duration such as 30d or 12h, or a date such as 2030-01-31, got "${text}"`);
  return at;
}

/**
 * `--expires 30d|DATE` as an ISO instant: a duration counts from `now`; the result must be in the future.
 *
 * @example
 * parseExpiry('30d', Date.parse('2030-01-01T00:00:00Z')); // '2030-01-31T00:00:00.000Z'
 */
export function parseExpiry(text: string, now: number = Date.now()): string {
  const at = parseWhen(text, '--expires', 1, now);
  if (at <= now) throw new UsageError(`--expires ${text}: that is not in the future`);
  return new Date(at).toISOString();
}

/**
 * `--since 1h|DATE` as an ISO instant: a duration counts back from `now`.
 *
 * @example
 * parseSince('1h', Date.parse('2030-01-01T01:00:00Z')); // '2030-01-01T00:00:00.000Z'
 */
export function parseSince(text: string, option = '--since', now: number = Date.now()): string {
  return new Date(parseWhen(text, option, -1, now)).toISOString();
}

/**
 * Aligns rows under their headers, columns two spaces apart (the last one unpadded).
 *
 * @example
 * formatTable(['NAME', 'ADMIN'], [['admin', 'yes']]); // 'NAME   ADMIN\nadmin  yes\n'
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? '')].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}

/** An ISO instant without its milliseconds; `-` for none. */
function when(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z') : '-';
}

const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');
const robotName = (name: string) => (name.startsWith('robot$') ? name : `robot$${name}`);

/** A strong password for accounts created without one: 144 random bits. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

interface Context {
  io: CommandIO;
  admin: HubAdmin;
  json: boolean;
  host: string;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `nocker hub <group> …`, for the groups in {@link ADMIN_GROUPS}. */
export async function hubAdminCommand(group: AdminGroup, argv: string[], io: CommandIO = processIO()): Promise<number> {
  const handlers: Record<AdminGroup, (args: string[], io: CommandIO) => Promise<number>> = {
    user: userCommand,
    namespace: namespaceCommand,
    robot: robotCommand,
    token: tokenCommand,
    audit: auditCommand,
  };
  return handlers[group](argv, io);
}

/** Parses the arguments of one subcommand; `undefined` when it asked for help (printed). */
function parse<O extends Options>(command: string, argv: string[], io: CommandIO, options: O, positionals: string[]) {
  const parsed = parseOrUsage(() => parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }));
  if ((parsed.values as { help?: boolean }).help === true) {
    io.stdout.write(HUB_ADMIN_HELP);
    return undefined;
  }
  if (parsed.positionals.length !== positionals.length) {
    const wanted = positionals.length === 0 ? 'no arguments' : positionals.join(' ');
    const got = parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ');
    throw new UsageError(`nocker hub ${command} takes ${wanted}, got ${got}`);
  }
  return parsed;
}

async function connect(io: CommandIO, hub: string | boolean | undefined, json: boolean | string | undefined): Promise<Context> {
  const url = hubUrlFrom(io, typeof hub === 'string' ? hub : undefined);
  const credentials = await requireCredentials(url, { env: io.env });
  const client = new HubClient({ url, credentials });
  return { io, admin: new HubAdmin(client), json: json === true, host: client.host };
}

function printJson(io: CommandIO, value: unknown): number {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

function unknownSub(group: string, sub: string | undefined, io: CommandIO): number {
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(HUB_ADMIN_HELP);
    return sub === undefined ? 1 : 0;
  }
  throw new UsageError(`unknown hub ${group} command "${sub}"`);
}

/** The new password of a user: from stdin, a terminal prompt (twice), or generated and printed. */
async function newPassword(io: CommandIO, name: string, fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (fromStdin) return { password: await readSecretFromStdin(io), generated: false };
  if (isInteractive(io)) {
    const password = await promptSecret(io, `Password for ${name}: `);
    if (password === '') throw new UsageError('the password is empty');
    if ((await promptSecret(io, 'Repeat it: ')) !== password) throw new UsageError('the passwords do not match');
    return { password, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

async function userCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      const args = parse('user list', rest, io, {}, []);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const users = await ctx.admin.listUsers();
      if (ctx.json) return printJson(io, { users });
      io.stdout.write(formatTable(['NAME', 'ADMIN', 'DISABLED', 'CREATED'], users.map((u) => [u.name, yesNo(u.admin), yesNo(u.disabled), when(u.createdAt)])));
      return 0;
    }
    case 'create':
    case 'passwd': {
      const args = parse(`user ${sub}`, rest, io, { 'password-stdin': { type: 'boolean' }, ...(sub === 'create' ? { admin: { type: 'boolean' } } : {}) }, ['NAME']);
      if (!args) return 0;
      const name = args.positionals[0] ?? '';
      const ctx = await connect(io, args.values.hub, args.values.json);
      const { password, generated } = await newPassword(io, name, args.values['password-stdin'] === true);
      const user =
        sub === 'create'
          ? await ctx.admin.createUser({ name, password, ...(args.values.admin === true ? { admin: true } : {}) })
          : await ctx.admin.updateUser(name, { password });
      if (ctx.json) return printJson(io, generated ? { ...user, password } : user);
      io.stdout.write(sub === 'create' ? `Created ${user.admin ? 'administrator' : 'user'} ${user.name}\n` : `Changed the password of ${name}\n`);
      if (generated) io.stdout.write(`Password: ${password}\n(shown only this once: pass it on now)\n`);
      return 0;
    }
    case 'delete': {
      const args = parse('user delete', rest, io, {}, ['NAME']);
      if (!args) return 0;
      const name = args.positionals[0] ?? '';
      const ctx = await connect(io, args.values.hub, args.values.json);
      await ctx.admin.deleteUser(name);
      if (!ctx.json) io.stdout.write(`Deleted user ${name}\n`);
      return 0;
    }
    default:
      return unknownSub('user', sub, io);
  }
}

function onOff(value: string | undefined, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new UsageError(`${option}: expected on or off, got "${value}"`);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option}: expected ${allowed.join(', ')}, got "${value}"`);
}

function describeNamespace(ns: Namespace): string {
  const rows = [
    ['name', ns.name],
    ['visibility', ns.visibility],
    ['immutable tags', ns.immutableTags ? 'on' : 'off'],
    ['delete policy', ns.deletePolicy],
    ...(ns.role ? [['your role', ns.role]] : []),
  ];
  return rows.map(([key, value]) => `${`${key}:`.padEnd(16)}${value}\n`).join('');
}

async function namespaceCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      const args = parse('namespace list', rest, io, {}, []);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const namespaces = await ctx.admin.listNamespaces();
      if (ctx.json) return printJson(io, { namespaces });
      const rows = namespaces.map((n) => [n.name, n.visibility, n.immutableTags ? 'on' : 'off', n.deletePolicy, n.role ?? '-']);
      io.stdout.write(formatTable(['NAME', 'VISIBILITY', 'IMMUTABLE TAGS', 'DELETE POLICY', 'YOUR ROLE'], rows));
      return 0;
    }
    case 'create': {
      const args = parse('namespace create', rest, io, { public: { type: 'boolean' } }, ['NAME']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const ns = await ctx.admin.createNamespace({ name: args.positionals[0] ?? '', visibility: args.values.public === true ? 'public' : 'private' });
      if (ctx.json) return printJson(io, ns);
      io.stdout.write(`Created ${ns.visibility} namespace ${ns.name}\n`);
      return 0;
    }
    case 'show': {
      const args = parse('namespace show', rest, io, {}, ['NAME']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const ns = await ctx.admin.getNamespace(args.positionals[0] ?? '');
      if (ctx.json) return printJson(io, ns);
      io.stdout.write(describeNamespace(ns));
      return 0;
    }
    case 'set': {
      const args = parse('namespace set', rest, io, { visibility: { type: 'string' }, 'immutable-tags': { type: 'string' }, 'delete-policy': { type: 'string' } }, ['NAME']);
      if (!args) return 0;
      const changes = {
        visibility: oneOf(args.values.visibility, ['public', 'private'] as const, '--visibility'),
        immutableTags: onOff(args.values['immutable-tags'], '--immutable-tags'),
        deletePolicy: oneOf<DeletePolicy>(args.values['delete-policy'], DELETE_POLICIES, '--delete-policy'),
      };
      const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      if (Object.keys(defined).length === 0) throw new UsageError('namespace set: give --visibility, --immutable-tags or --delete-policy');
      const ctx = await connect(io, args.values.hub, args.values.json);
      const ns = await ctx.admin.updateNamespace(args.positionals[0] ?? '', defined);
      if (ctx.json) return printJson(io, ns);
      io.stdout.write(describeNamespace(ns));
      return 0;
    }
    case 'delete': {
      const args = parse('namespace delete', rest, io, {}, ['NAME']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      await ctx.admin.deleteNamespace(args.positionals[0] ?? '');
      if (!ctx.json) io.stdout.write(`Deleted namespace ${args.positionals[0]}\n`);
      return 0;
    }
    case 'members': {
      const args = parse('namespace members', rest, io, {}, ['NAME']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const members = await ctx.admin.listMembers(args.positionals[0] ?? '');
      if (ctx.json) return printJson(io, { members });
      io.stdout.write(formatTable(['NAME', 'KIND', 'ROLE'], members.map((m) => [m.name, m.kind, m.role])));
      return 0;
    }
    case 'member':
      return memberCommand(rest, io);
    default:
      return unknownSub('namespace', sub, io);
  }
}

async function memberCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const args = parse('namespace member add', rest, io, {}, ['NAME', 'ACCOUNT', 'ROLE']);
    if (!args) return 0;
    const [namespace = '', account = '', roleText] = args.positionals;
    const role = oneOf<Role>(roleText, ROLES, 'ROLE') as Role;
    const ctx = await connect(io, args.values.hub, args.values.json);
    await ctx.admin.setMember(namespace, account, role);
    if (!ctx.json) io.stdout.write(`${account} is ${role === 'owner' ? 'an' : 'a'} ${role} of ${namespace}\n`);
    return 0;
  }
  if (sub === 'remove') {
    const args = parse('namespace member remove', rest, io, {}, ['NAME', 'ACCOUNT']);
    if (!args) return 0;
    const [namespace = '', account = ''] = args.positionals;
    const ctx = await connect(io, args.values.hub, args.values.json);
    await ctx.admin.removeMember(namespace, account);
    if (!ctx.json) io.stdout.write(`Removed ${account} from ${namespace}\n`);
    return 0;
  }
  return unknownSub('namespace member', sub, io);
}

const formatPermissions = (permissions: Permission[]) => permissions.map((p) => `${p.repository}:${p.actions.join(',')}`).join(' ');

async function robotCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      const args = parse('robot list', rest, io, {}, []);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const robots = await ctx.admin.listRobots();
      if (ctx.json) return printJson(io, { robots });
      const rows = robots.map((r) => [r.name, formatPermissions(r.permissions), when(r.expiresAt), r.createdBy, r.description || '-']);
      io.stdout.write(formatTable(['NAME', 'ACCESS', 'EXPIRES', 'CREATED BY', 'DESCRIPTION'], rows));
      return 0;
    }
    case 'create': {
      const args = parse('robot create', rest, io, { access: { type: 'string', multiple: true }, expires: { type: 'string' }, description: { type: 'string' } }, ['NAME']);
      if (!args) return 0;
      const access = args.values.access ?? [];
      if (access.length === 0) throw new UsageError('robot create: give at least one --access REPOSITORY:ACTIONS, such as team/*:pull');
      const permissions = access.map(parseAccess);
      const expiresAt = args.values.expires === undefined ? undefined : parseExpiry(args.values.expires);
      const name = (args.positionals[0] ?? '').replace(/^robot\$/, '');
      const ctx = await connect(io, args.values.hub, args.values.json);
      const robot = await ctx.admin.createRobot({
        name,
        permissions,
        ...(args.values.description === undefined ? {} : { description: args.values.description }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
      if (ctx.json) printJson(io, robot);
      else io.stdout.write(`Created ${robot.name}\nSecret: ${robot.secret}\n`);
      io.stderr.write(
        `WARNING! The secret is shown only this once and cannot be shown again: store it now.\n` +
          `Log in with it: docker login ${ctx.host} -u '${robot.name}' --password-stdin   (or nocker login)\n`,
      );
      return 0;
    }
    case 'delete': {
      const args = parse('robot delete', rest, io, {}, ['NAME']);
      if (!args) return 0;
      const name = robotName(args.positionals[0] ?? '');
      const ctx = await connect(io, args.values.hub, args.values.json);
      await ctx.admin.deleteRobot(name);
      if (!ctx.json) io.stdout.write(`Deleted ${name}\n`);
      return 0;
    }
    default:
      return unknownSub('robot', sub, io);
  }
}

async function tokenCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      const args = parse('token list', rest, io, {}, []);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      const tokens = await ctx.admin.listTokens();
      if (ctx.json) return printJson(io, { tokens });
      const rows = tokens.map((t) => [t.id, when(t.createdAt), when(t.expiresAt), when(t.lastUsedAt), t.userAgent ?? '-']);
      io.stdout.write(formatTable(['ID', 'CREATED', 'EXPIRES', 'LAST USED', 'USER AGENT'], rows));
      return 0;
    }
    case 'revoke': {
      const args = parse('token revoke', rest, io, {}, ['ID']);
      if (!args) return 0;
      const ctx = await connect(io, args.values.hub, args.values.json);
      await ctx.admin.revokeToken(args.positionals[0] ?? '');
      if (!ctx.json) io.stdout.write(`Revoked token ${args.positionals[0]}\n`);
      return 0;
    }
    default:
      return unknownSub('token', sub, io);
  }
}

/** `repo:tag` or `repo@digest`, as an audit entry names what it touched. */
function artifact(entry: AuditEntry): string {
  if (!entry.repository) return '-';
  if (!entry.reference) return entry.repository;
  return `${entry.repository}${entry.reference.includes(':') ? '@' : ':'}${entry.reference}`;
}

/**
 * An audit detail on one line: its plain values as `key=value`, lists and objects as JSON.
 *
 * @example
 * summarize({ namespace: 'team', account: 'ann', role: 'developer' }); // 'namespace=team account=ann role=developer'
 */
export function summarize(detail: unknown): string {
  if (detail === undefined || detail === null) return '';
  if (typeof detail !== 'object' || Array.isArray(detail)) return JSON.stringify(detail);
  return Object.entries(detail)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

async function auditCommand(argv: string[], io: CommandIO): Promise<number> {
  if (argv[0] === 'help') return unknownSub('audit', 'help', io);
  const args = parse(
    'audit',
    argv,
    io,
    {
      repository: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      before: { type: 'string' },
    },
    [],
  );
  if (!args) return 0;
  const { values } = args;
  if (values.limit !== undefined && !/^[1-9]\d*$/.test(values.limit)) throw new UsageError(`--limit: expected a positive whole number, got "${values.limit}"`);
  const query = {
    repository: values.repository,
    actor: values.actor,
    action: values.action,
    since: values.since === undefined ? undefined : parseSince(values.since),
    until: values.until === undefined ? undefined : parseSince(values.until, '--until'),
    limit: values.limit === undefined ? undefined : Number(values.limit),
    before: values.before,
  };
  const ctx = await connect(io, values.hub, values.json);
  const page = await ctx.admin.audit(query);
  if (ctx.json) return printJson(io, page);
  const rows = page.entries.map((e) => [when(e.at), e.actor ?? '-', e.action, artifact(e), e.outcome, e.clientAddress ?? '-', summarize(e.detail)]);
  io.stdout.write(formatTable(['TIME', 'ACTOR', 'ACTION', 'REPOSITORY', 'OUTCOME', 'CLIENT', 'DETAIL'], rows));
  if (page.next) io.stderr.write(`More entries: add --before ${page.next}\n`);
  return 0;
}
