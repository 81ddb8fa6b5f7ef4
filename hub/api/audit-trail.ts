/** Writing management actions to the audit log, in the words of the request that did them. */
import type { Context } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';

export function recordAction(access: AccessControl, c: Context<AuthEnv>, action: string, detail: Record<string, unknown>, repository?: string): void {
  const auth = c.var.auth;
  access.audit.record({
    actor: auth.actor.name,
    actorKind: auth.actor.kind,
    clientAddress: auth.clientAddress,
    action,
    repository,
    outcome: 'success',
    detail,
  });
}
