/** `nocker hub namespace …`: the Hub's namespaces, their settings and their members. */
import { DELETE_POLICIES, ROLES, type DeletePolicy, type Namespace, type Role } from '../../hub/client/admin.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { connect, formatTable, oneOf, onOff, parse, printJson, unknownSub } from './common.ts';

/** A namespace's settings, one `key: value` line each. */
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

/** `nocker hub namespace …` */
export async function namespaceCommand(argv: string[], io: CommandIO): Promise<number> {
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

/** `nocker hub namespace member add|remove …` */
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
