/**
 * Who may see and who may manage the namespace a `/api/v1/namespaces/:namespace/…` route
 * names: one rule for the namespace itself, its members and its trust policies.
 */
import type { Context } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import { canManageNamespace, type NamespaceFacts } from '../auth/permissions.ts';
import { OciError } from '../oci/errors.ts';
import { pathParam } from './json.ts';

/**
 * The namespace of the path, if the caller may see it (administrators, members, anyone for a
 * public one); NAME_UNKNOWN otherwise, so that private names do not leak.
 */
export async function visibleNamespace(c: Context<AuthEnv>): Promise<{ name: string; facts: NamespaceFacts }> {
  const name = pathParam(c, 'namespace');
  const identity = await c.var.auth.identity();
  const facts = await c.var.auth.namespace(name);
  if (!facts || !(identity.admin || facts.visibility === 'public' || facts.role)) {
    throw new OciError('NAME_UNKNOWN', `there is no namespace named ${name} that you can see`);
  }
  return { name, facts };
}

/**
 * The namespace of the path, if the caller (an account) may manage it: its owners and
 * administrators. Others who see it are denied with `refusal`, audited as `action`.
 */
export async function managedNamespace(c: Context<AuthEnv>, action: string, refusal: (name: string) => string): Promise<string> {
  const identity = await c.var.auth.requireAccount();
  const { name, facts } = await visibleNamespace(c);
  if (!canManageNamespace(identity, facts)) throw c.var.auth.denied(refusal(name), { action, namespace: name });
  return name;
}
