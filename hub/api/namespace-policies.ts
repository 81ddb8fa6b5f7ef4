/**
 * The routes every kind of namespace policy has, one policy per environment:
 * `GET /api/v1/namespaces/:namespace/<path>` lists them, `GET|PUT|DELETE …/<path>/:environment`
 * reads, sets and removes one. Whoever can see the namespace reads; its owners and
 * administrators change, and every change is audited.
 */
import { Hono, type Context } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import { validateEnvironment } from '../policy/validate.ts';
import { recordAction } from './audit-trail.ts';
import { managedNamespace, visibleNamespace } from './namespace-access.ts';
import { pathParam, readJsonObject } from './json.ts';

/** Where one kind of policy is kept, by namespace and environment. */
export interface NamespacePolicyStore<Policy, Input> {
  list(namespace: string): Promise<Policy[]>;
  find(namespace: string, environment: string): Promise<Policy | undefined>;
  /** Creates or replaces; the version is 1 when created. */
  put(namespace: string, environment: string, input: Input, actor: string): Promise<Policy>;
  remove(namespace: string, environment: string): Promise<boolean>;
}

/** What tells one kind of policy from another in its routes. */
export interface NamespacePolicyKind<Policy extends { version: number }, Input> {
  /** The path segment after the namespace: `policies`. */
  path: string;
  /** How messages name them: `trust policies`, `trust policy`. */
  plural: string;
  singular: string;
  /** The audit actions are `<action>.set` and `<action>.delete`. */
  action: string;
  store: NamespacePolicyStore<Policy, Input>;
  /** Validates a PUT body. */
  parse(body: Record<string, unknown>): Input;
  /** What the audit log keeps of a policy set. */
  audited(policy: Policy): Record<string, unknown>;
}

/**
 * @example
 * app.route('/', namespacePolicyRoutes(access, { path: 'policies', plural: 'trust policies', singular: 'trust policy', action: 'policy', store, parse: parsePolicyInput, audited: (p) => ({ mode: p.mode }) }));
 */
export function namespacePolicyRoutes<Policy extends { version: number }, Input>(access: AccessControl, kind: NamespacePolicyKind<Policy, Input>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { store } = kind;
  const base = `/api/v1/namespaces/:namespace/${kind.path}`;

  const managed = async (c: Context<AuthEnv>, action: string): Promise<{ name: string; environment: string }> => {
    const name = await managedNamespace(c, action, (namespace) => `only owners of ${namespace} and administrators may change its ${kind.plural}`);
    return { name, environment: validateEnvironment(pathParam(c, 'environment')) };
  };
  const missing = (namespace: string, environment: string) =>
    new OciError('NAME_UNKNOWN', `namespace ${namespace} has no ${kind.singular} for environment ${environment}`, { detail: { namespace, environment } });

  app.get(base, async (c) => {
    const { name } = await visibleNamespace(c);
    return c.json({ policies: await store.list(name) });
  });

  app.get(`${base}/:environment`, async (c) => {
    const { name } = await visibleNamespace(c);
    const environment = pathParam(c, 'environment');
    const policy = await store.find(name, environment);
    if (!policy) throw missing(name, environment);
    return c.json(policy);
  });

  app.put(`${base}/:environment`, async (c) => {
    const action = `${kind.action}.set`;
    const { name, environment } = await managed(c, action);
    const input = kind.parse(await readJsonObject(c));
    const policy = await store.put(name, environment, input, c.var.auth.actor.name);
    recordAction(access, c, action, { namespace: name, environment, ...kind.audited(policy), version: policy.version });
    return c.json(policy, policy.version === 1 ? 201 : 200);
  });

  app.delete(`${base}/:environment`, async (c) => {
    const action = `${kind.action}.delete`;
    const { name, environment } = await managed(c, action);
    if (!(await store.remove(name, environment))) throw missing(name, environment);
    recordAction(access, c, action, { namespace: name, environment });
    return c.body(null, 204);
  });

  return app;
}
