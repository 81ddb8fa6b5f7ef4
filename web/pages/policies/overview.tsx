/**
 * `/policies`: every namespace the viewer sees, and per environment a line on each policy —
 * enough to see where signatures or a vulnerability threshold are enforced.
 */
import { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { ScrollTable } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { requireSignedIn } from '../error.tsx';
import { HubAdmin } from '../../../hub/client/admin.ts';
import { namespacePolicies, type EnvironmentPolicies } from './data.ts';
import { namespacePolicyUrl } from './edit.tsx';
import { ModeBadge } from './view.tsx';

/** `1 key`, `2 keys`. */
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const TrustSummary: FC<{ env: EnvironmentPolicies }> = ({ env }) => {
  const policy = env.trust;
  if (!policy) return <span class="muted">none</span>;
  const signers = policy.keys.length + policy.identities.length;
  return (
    <span>
      <ModeBadge mode={policy.mode} /> {`${policy.required} required of ${count(signers, 'signer', 'signers')} (${count(policy.keys.length, 'key', 'keys')}, ${count(policy.identities.length, 'identity', 'identities')})`}
    </span>
  );
};

const VulnerabilitySummary: FC<{ env: EnvironmentPolicies }> = ({ env }) => {
  const policy = env.vulnerability;
  if (!policy) return <span class="muted">none</span>;
  return (
    <span>
      <ModeBadge mode={policy.mode} /> {policy.severity} or worse, {policy.allowlist.length} allowlisted
    </span>
  );
};

export function overviewRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/policies', async (c) => {
    requireSignedIn(c);
    const namespaces = await new HubAdmin(c.var.hub).listNamespaces();
    const rows = await Promise.all(namespaces.map(async (namespace) => ({ namespace, environments: await namespacePolicies(c.var.hub, namespace.name) })));
    return c.render(
      <section>
        <h1>Environments and policies</h1>
        <p class="muted">
          Per namespace and environment: which signatures images need (trust policy) and which fixable vulnerabilities block their pulls (vulnerability policy).
        </p>
        {rows.length === 0 ? <p class="muted">You see no namespaces.</p> : null}
        <ScrollTable label="Policies per namespace and environment">
          <table>
            <thead>
              <tr>
                <th scope="col">Namespace</th>
                <th scope="col">Environment</th>
                <th scope="col">Trust policy</th>
                <th scope="col">Vulnerability policy</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ namespace, environments }) =>
                environments.length === 0 ? (
                  <tr>
                    <td>
                      <a href={namespacePolicyUrl(namespace.name)}>{namespace.name}</a>
                    </td>
                    <td colspan={3} class="muted">
                      no policies
                    </td>
                  </tr>
                ) : (
                  environments.map((env, index) => (
                    <tr>
                      <td>{index === 0 ? <a href={namespacePolicyUrl(namespace.name)}>{namespace.name}</a> : <span class="muted">{namespace.name}</span>}</td>
                      <td>{env.environment}</td>
                      <td>
                        <TrustSummary env={env} />
                      </td>
                      <td>
                        <VulnerabilitySummary env={env} />
                      </td>
                    </tr>
                  ))
                ),
              )}
            </tbody>
          </table>
        </ScrollTable>
      </section>,
      { title: 'Policies', section: 'policies' },
    );
  });
  return app;
}
