/**
 * `/admin/audit`: the audit log, newest first, with a GET filter form (actor, action,
 * repository, since, until) and cursor paging through the API's `next`.
 */
import { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { Pager, ScrollTable, Time } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { ui } from '../../paths.ts';
import type { AuditEntry, AuditQuery } from '../../../hub/client/admin.ts';
import { AdminFrame, adminApi } from './shared.tsx';

const BASE = '/admin/audit';
const PAGE_SIZE = 50;
/** Longer details are cut here; the API has them whole. */
const DETAIL_CHARS = 400;
const FILTERS = [
  { key: 'actor', label: 'Actor', hint: 'admin' },
  { key: 'action', label: 'Action', hint: 'push, robot.create, gc…' },
  { key: 'repository', label: 'Repository', hint: 'team/app' },
  { key: 'since', label: 'Since (ISO 8601)', hint: '2026-01-31' },
  { key: 'until', label: 'Until (ISO 8601)', hint: '2026-01-31T18:00Z' },
] as const;
type FilterKey = (typeof FILTERS)[number]['key'];

/**
 * An entry's detail as one line of JSON, cut to a readable length (rendered as text: escaped).
 *
 * @example
 * compactDetail({ account: 'robot$ci' }); // '{"account":"robot$ci"}'
 */
export function compactDetail(detail: unknown, max = DETAIL_CHARS): string {
  if (detail === undefined || detail === null) return '';
  const text = JSON.stringify(detail) ?? '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const outcomeClass: Record<string, string> = { success: 'ok', denied: 'bad', failure: 'warn' };

const EntryRow: FC<{ entry: AuditEntry }> = ({ entry }) => (
  <tr>
    <td>
      <Time at={entry.at} />
    </td>
    <td>
      {entry.actor ?? '—'}
      {entry.actorKind && entry.actorKind !== 'user' ? <span class="muted"> ({entry.actorKind})</span> : null}
    </td>
    <td>
      <code>{entry.action}</code>
    </td>
    <td>
      {entry.repository ?? ''}
      {entry.reference ? <span class="muted"> {entry.reference}</span> : null}
    </td>
    <td>
      <span class={`badge ${outcomeClass[entry.outcome] ?? 'warn'}`}>{entry.outcome}</span>
    </td>
    <td>{entry.clientAddress ?? ''}</td>
    <td>
      <code class="audit-detail">{compactDetail(entry.detail)}</code>
    </td>
  </tr>
);

export function auditRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get(BASE, async (c) => {
    const admin = adminApi(c);
    const filters = Object.fromEntries(FILTERS.map((f) => [f.key, c.req.query(f.key)?.trim() ?? ''])) as Record<FilterKey, string>;
    const before = c.req.query('before') || undefined;
    // A page size other than the default is kept across pages; the API bounds it.
    const limit = Number(c.req.query('limit')) || undefined;
    const query: AuditQuery = { ...filters, limit: limit ?? PAGE_SIZE, ...(before ? { before } : {}) };
    const page = await admin.audit(query);
    const kept = { ...filters, limit };
    const first = before ? ui(BASE, kept) : undefined;
    return c.render(
      <AdminFrame title="Audit log" current="audit">
        <form method="get" action={ui(BASE)} class="filters" role="search" aria-label="Filter the audit log">
          {FILTERS.map((f) => (
            <div>
              <label for={`audit-${f.key}`}>{f.label}</label>
              <input id={`audit-${f.key}`} name={f.key} value={filters[f.key]} placeholder={f.hint} />
            </div>
          ))}
          <button type="submit">Filter</button>
          <a href={ui(BASE)}>Clear</a>
        </form>
        {page.entries.length === 0 ? (
          <p class="muted">No entries match.</p>
        ) : (
          <ScrollTable label="Audit log entries">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Repository</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Client</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {page.entries.map((entry) => (
                  <EntryRow entry={entry} />
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
        <Pager previous={first} next={page.next ? ui(BASE, { ...kept, before: page.next }) : undefined} summary={before ? 'Older entries' : 'Newest entries'} />
      </AdminFrame>,
      { title: 'Audit log', section: 'admin' },
    );
  });
  return app;
}
