/** `nocker hub audit`: the Hub's audit log, filtered, newest first. */
import type { AuditEntry } from '../../hub/client/admin.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { connect, formatTable, parse, parseSince, printJson, unknownSub, when } from './common.ts';

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

/** `nocker hub audit [filters]` */
export async function auditCommand(argv: string[], io: CommandIO): Promise<number> {
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
