/**
 * The audit log: who did what, from where, to which repository, and how it ended. Entries are
 * written in small batches off the request path (a pull must not wait for an insert) and flushed
 * before every query and at shutdown; the database refuses to change or delete them.
 */
import { and, desc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { auditLog } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEntry {
  actor: string;
  actorKind: string;
  clientAddress?: string;
  /** `login`, `push`, `pull`, `delete`, `user.create`, `member.set`, `robot.create`, … */
  action: string;
  repository?: string;
  reference?: string;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
}

export type AuditRecord = AuditEntry & { id: number; at: Date };

export interface AuditQuery {
  repository?: string;
  actor?: string;
  /** One action, or any of several. */
  action?: string | readonly string[];
  /** Only entries whose `detail.namespace` is this (policy, member and namespace actions carry it). */
  namespace?: string;
  since?: Date;
  until?: Date;
  /** Entries older than this id: the `next` cursor of the page before. */
  before?: number;
  limit?: number;
}

const FLUSH_DELAY_MS = 200;
const MAX_BATCH = 500;
const MAX_PAGE = 1000;

export class AuditLog {
  private pending: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Database) {}

  record(entry: AuditEntry): void {
    this.pending.push(entry);
    if (this.pending.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes every entry recorded so far. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      // One JSON parameter for the whole batch: a statement with ten parameters a row costs more
      // to build and parse than the rows cost to write.
      await this.db
        .execute(
          sql`insert into ${auditLog} (actor, actor_kind, client_address, action, repository, reference, outcome, detail)
              select actor, "actorKind", "clientAddress", action, repository, reference, outcome, detail
              from json_to_recordset(${JSON.stringify(batch)}::json) as entry(actor text, "actorKind" text, "clientAddress" text,
                action text, repository text, reference text, outcome text, detail jsonb)`,
        )
        .catch((err: unknown) => {
          console.error(JSON.stringify({ level: 'error', msg: 'audit log write failed', entries: batch.length, error: String(err) }));
        });
    });
    return this.flushing;
  }

  /** The newest entries first, matching every filter given. */
  async query(filter: AuditQuery): Promise<{ entries: AuditRecord[]; next?: number }> {
    await this.flush();
    const limit = Math.min(filter.limit ?? 100, MAX_PAGE);
    if (!Number.isInteger(limit) || limit <= 0) throw new OciError('PAGINATION_NUMBER_INVALID', `limit must be a whole number from 1 to ${MAX_PAGE}`);
    const rows = await this.db
      .select()
      .from(auditLog)
      .where(
        and(
          filter.repository ? eq(auditLog.repository, filter.repository) : undefined,
          filter.actor ? eq(auditLog.actor, filter.actor) : undefined,
          typeof filter.action === 'string' ? eq(auditLog.action, filter.action) : filter.action?.length ? inArray(auditLog.action, [...filter.action]) : undefined,
          filter.namespace ? sql`${auditLog.detail} ->> 'namespace' = ${filter.namespace}` : undefined,
          filter.since ? gte(auditLog.at, filter.since) : undefined,
          filter.until ? lte(auditLog.at, filter.until) : undefined,
          filter.before ? lt(auditLog.id, filter.before) : undefined,
        ),
      )
      .orderBy(desc(auditLog.id))
      .limit(limit + 1);
    const entries = rows.slice(0, limit).map((row) => ({
      id: row.id,
      at: row.at,
      actor: row.actor,
      actorKind: row.actorKind,
      clientAddress: row.clientAddress ?? undefined,
      action: row.action,
      repository: row.repository ?? undefined,
      reference: row.reference ?? undefined,
      outcome: row.outcome,
      detail: row.detail ?? undefined,
    }));
    return { entries, next: rows.length > limit ? entries[entries.length - 1]?.id : undefined };
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
