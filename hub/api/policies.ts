/**
 * `/api/v1/namespaces/:namespace/policies`: a namespace's trust policies, one per environment.
 * Whoever can see the namespace reads them (they hold only public keys); its owners and
 * administrators change them.
 */
import type { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { parsePolicyInput } from '../policy/validate.ts';
import { namespacePolicyRoutes } from './namespace-policies.ts';

export function policyRoutes(access: AccessControl): Hono<AuthEnv> {
  return namespacePolicyRoutes(access, {
    path: 'policies',
    plural: 'trust policies',
    singular: 'trust policy',
    action: 'policy',
    store: access.policies,
    parse: parsePolicyInput,
    audited: (policy) => ({
      mode: policy.mode,
      keys: policy.keys.map((key) => key.name),
      roots: policy.roots.map((root) => root.name),
      identities: policy.identities.length,
      required: policy.required,
    }),
  });
}
