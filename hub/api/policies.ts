/**
 * `/api/v1/namespaces/:namespace/policies`: a namespace's trust policies, one per environment.
 * Whoever can see the namespace reads them (they hold only public keys); its owners and
 * administrators change them.
 */
import { Hono, type Context } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import { parsePolicyInput, validateEnvironment } from '../policy/validate.ts';
import { recordAction } from './audit-trail.ts';
import { managedNamespace, visibleNamespace } from './namespace-access.ts';
import { pathParam, readJsonObject } from './json.ts';

export function policyRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { policies } = access;

  const managed = async (c: Context<AuthEnv>, action: string): Promise<{ name: string; environment: string }> => {
    const name = await managedNamespace(c, action, (namespace) => `only owners of ${namespace} and administrators may change its trust policies`);
    return { name, environment: validateEnvironment(pathParam(c, 'environment')) };
  };
  const missing = (namespace: string, environment: string) =>
    new OciError('NAME_UNKNOWN', `namespace ${namespace} has no trust policy for environment ${environment}`, { detail: { namespace, environment } });

  app.get('/api/v1/namespaces/:namespace/policies', async (c) => {
    const { name } = await visibleNamespace(c);
    return c.json({ policies: await policies.list(name) });
  });

  app.get('/api/v1/namespaces/:namespace/policies/:environment', async (c) => {
    const { name } = await visibleNamespace(c);
    const environment = pathParam(c, 'environment');
    const policy = await policies.find(name, environment);
    if (!policy) throw missing(name, environment);
    return c.json(policy);
  });

  app.put('/api/v1/namespaces/:namespace/policies/:environment', async (c) => {
    const { name, environment } = await managed(c, 'policy.set');
    const input = parsePolicyInput(await readJsonObject(c));
    const policy = await policies.put(name, environment, input, c.var.auth.actor.name);
    recordAction(access, c, 'policy.set', {
      namespace: name,
      environment,
      mode: policy.mode,
      keys: policy.keys.map((key) => key.name),
      roots: policy.roots.map((root) => root.name),
      identities: policy.identities.length,
      required: policy.required,
      version: policy.version,
    });
    return c.json(policy, policy.version === 1 ? 201 : 200);
  });

  app.delete('/api/v1/namespaces/:namespace/policies/:environment', async (c) => {
    const { name, environment } = await managed(c, 'policy.delete');
    if (!(await policies.remove(name, environment))) throw missing(name, environment);
    recordAction(access, c, 'policy.delete', { namespace: name, environment });
    return c.body(null, 204);
  });

  return app;
}
