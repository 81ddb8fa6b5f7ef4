/** `nocker hub robot list|create|delete`: robot accounts and the access they are given. */
import type { Permission } from '../../hub/client/admin.ts';
import { validateRepositoryName } from '../../hub/oci/names.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { connect, formatTable, parse, parseExpiry, printJson, unknownSub, when } from './common.ts';

/** Actions a robot may be given on repositories. */
export const ROBOT_ACTIONS = ['pull', 'push', 'delete'] as const;

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

const formatPermissions = (permissions: Permission[]) => permissions.map((p) => `${p.repository}:${p.actions.join(',')}`).join(' ');

const robotName = (name: string) => (name.startsWith('robot$') ? name : `robot$${name}`);

/** `nocker hub robot …` */
export async function robotCommand(argv: string[], io: CommandIO): Promise<number> {
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
