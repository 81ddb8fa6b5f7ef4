/**
 * A namespace's own audit log (`GET /api/v1/namespaces/<ns>/audit`): the changes to its
 * settings, members and policies, for its owners and administrators.
 */
import type { AuditPage } from './admin.ts';
import type { HubClient } from './client.ts';

export interface NamespaceAuditQuery {
  /** At most this many entries (the Hub's default is 100). */
  limit?: number;
  /** The `next` of the previous page. */
  before?: string;
  /** Only entries of these actions (`policy.set`, `member.remove`…). */
  actions?: readonly string[];
}

/**
 * One page of `namespace`'s audit log, newest first.
 *
 * @example
 * const { entries, next } = await fetchNamespaceAudit(client, 'team', { limit: 50 });
 */
export function fetchNamespaceAudit(client: HubClient, namespace: string, query: NamespaceAuditQuery = {}): Promise<AuditPage> {
  const params = new URLSearchParams();
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.before) params.set('before', query.before);
  for (const action of query.actions ?? []) params.append('action', action);
  const qs = params.toString();
  return client.api('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/audit${qs ? `?${qs}` : ''}`);
}
