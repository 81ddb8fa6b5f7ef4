/** `nocker hub user list|create|passwd|delete`: the Hub's user accounts. */
import { randomBytes } from 'node:crypto';
import { isInteractive, promptSecret, readSecretFromStdin, type CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { connect, formatTable, parse, printJson, unknownSub, when, yesNo } from './common.ts';

/** A strong password for accounts created without one: 144 random bits. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
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

/** `nocker hub user …` */
export async function userCommand(argv: string[], io: CommandIO): Promise<number> {
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
