/** `nocker hub token list|revoke`: the refresh tokens the Hub has granted. */
import type { CommandIO } from '../io.ts';
import { connect, formatTable, parse, printJson, unknownSub, when } from './common.ts';

/** `nocker hub token …` */
export async function tokenCommand(argv: string[], io: CommandIO): Promise<number> {
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
