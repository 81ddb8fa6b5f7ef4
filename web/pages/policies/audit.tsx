/**
 * The audit trail of a namespace's policies: who changed which, when, to what. Read from the
 * namespace's own audit log, which its owners and administrators may read.
 */
import type { FC } from 'hono/jsx';
import { Pager, ScrollTable, Time } from '../../components.tsx';
import type { AuditEntry, AuditPage } from '../../../hub/client/admin.ts';
import { namespacePolicyUrl } from './edit.tsx';

/** The audit actions of policy changes: the trail asks the Hub for these only. */
export const POLICY_ACTIONS = ['policy.set', 'policy.delete', 'vulnerability-policy.set', 'vulnerability-policy.delete'] as const;

/** A field of an entry's detail, as text (the detail is whatever the action recorded). */
function detailField(entry: AuditEntry, field: string): string {
  const detail = entry.detail;
  if (typeof detail !== 'object' || detail === null) return '';
  const value = (detail as Record<string, unknown>)[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

const ACTION_WORDS: Record<string, string> = {
  'policy.set': 'trust policy set',
  'policy.delete': 'trust policy deleted',
  'vulnerability-policy.set': 'vulnerability policy set',
  'vulnerability-policy.delete': 'vulnerability policy deleted',
};

export const AuditTrail: FC<{ namespace: string; page: AuditPage; before?: string }> = ({ namespace, page, before }) => {
  const changes = page.entries;
  return (
    <section aria-labelledby="audit-trail">
      <h2 id="audit-trail">Audit trail</h2>
      {changes.length === 0 ? (
        <p class="muted">No policy changes {before ? 'in this part of the log' : 'yet'}.</p>
      ) : (
        <ScrollTable label="Policy changes">
          <table id="policy-audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Change</th>
                <th scope="col">Environment</th>
                <th scope="col">Mode</th>
                <th scope="col">Severity</th>
                <th scope="col" class="num">Version</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((entry) => (
                <tr>
                  <td>
                    <Time at={entry.at} />
                  </td>
                  <td>{entry.actor ?? '—'}</td>
                  <td>{ACTION_WORDS[entry.action] ?? entry.action}</td>
                  <td>{detailField(entry, 'environment')}</td>
                  <td>{detailField(entry, 'mode')}</td>
                  <td>{detailField(entry, 'severity')}</td>
                  <td class="num">{detailField(entry, 'version')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {page.next || before ? (
        <Pager previous={before ? namespacePolicyUrl(namespace) : undefined} next={page.next ? namespacePolicyUrl(namespace, '', { before: page.next }) : undefined} summary="Older changes" />
      ) : null}
    </section>
  );
};
