/**
 * `/policies/NS`: a namespace's trust and vulnerability policies per environment in full; for
 * its owners and administrators the edit forms, delete (with a confirmation page) and the
 * audit trail. Every change goes through the API, so its checks, refusals and audit apply.
 */
import { Hono, type Context } from 'hono';
import type { Child } from 'hono/jsx';
import { CsrfField, Notice } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { requireSignedIn } from '../error.tsx';
import { HubAdmin, type AuditPage } from '../../../hub/client/admin.ts';
import { fetchNamespaceAudit } from '../../../hub/client/namespace-audit.ts';
import { VulnerabilityPolicies } from '../../../hub/client/vulnerability-policies.ts';
import { toOciError } from '../../../hub/distribution/errors.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { AuditTrail, POLICY_ACTIONS } from './audit.tsx';
import { namespacePolicies, type EnvironmentPolicies } from './data.ts';
import { DeleteLink, KIND_NAMES, namespacePolicyUrl, TrustPolicyForm, VulnerabilityPolicyForm, type PolicyKind } from './edit.tsx';
import { trustChange, trustFormFor, trustFormOf, vulnerabilityChange, vulnerabilityFormFor, vulnerabilityFormOf, type TrustForm, type VulnerabilityForm } from './forms.ts';
import { TrustPolicyView, VulnerabilityPolicyView } from './view.tsx';
import { ui } from '../../paths.ts';

/** A form the API refused, to show again as typed with its message. */
type Failed = { kind: 'trust'; add: boolean; form: TrustForm; message: string } | { kind: 'vulnerability'; add: boolean; form: VulnerabilityForm; message: string };

/** What a successful POST says on the page it leads to (`?done=…&environment=…`). */
const DONE: Record<string, string> = {
  'trust-set': 'trust policy saved',
  'vulnerability-set': 'vulnerability policy saved',
  'trust-deleted': 'trust policy deleted',
  'vulnerability-deleted': 'vulnerability policy deleted',
};

const isKind = (value: unknown): value is PolicyKind => value === 'trust' || value === 'vulnerability';

/** Whether the viewer may change the namespace's policies (the API decides again on each change). */
async function managesNamespace(c: Context<WebEnv>, namespace: string): Promise<boolean> {
  const info = await new HubAdmin(c.var.hub).getNamespace(namespace);
  return c.var.viewer.admin || info.role === 'owner';
}

function EnvironmentSection({ namespace, env, manage, failed }: { namespace: string; env: EnvironmentPolicies; manage: boolean; failed?: Failed }): Child {
  const id = `env-${env.environment}`;
  const trustFailed = failed?.kind === 'trust' && !failed.add && failed.form.environment === env.environment ? failed : undefined;
  const vulnerabilityFailed = failed?.kind === 'vulnerability' && !failed.add && failed.form.environment === env.environment ? failed : undefined;
  return (
    <section aria-labelledby={id} class="policy-environment">
      <h2 id={id}>Environment {env.environment}</h2>
      <div class="columns">
        <div>
          <h3>Trust policy</h3>
          <TrustPolicyView policy={env.trust} />
          {manage ? (
            <>
              <TrustPolicyForm namespace={namespace} add={false} form={trustFailed?.form ?? trustFormFor(env.trust, env.environment)} error={trustFailed?.message} />
              {env.trust ? <DeleteLink namespace={namespace} kind="trust" environment={env.environment} /> : null}
            </>
          ) : null}
        </div>
        <div>
          <h3>Vulnerability policy</h3>
          <VulnerabilityPolicyView policy={env.vulnerability} />
          {manage ? (
            <>
              <VulnerabilityPolicyForm namespace={namespace} add={false} form={vulnerabilityFailed?.form ?? vulnerabilityFormFor(env.vulnerability, env.environment)} error={vulnerabilityFailed?.message} />
              {env.vulnerability ? <DeleteLink namespace={namespace} kind="vulnerability" environment={env.environment} /> : null}
            </>
          ) : null}
        </div>
      </div>
    </section>
  );
}

/** Renders the namespace page; `failed` re-opens the refused form with the API's message. */
async function renderNamespace(c: Context<WebEnv>, namespace: string, failed?: Failed): Promise<Response> {
  requireSignedIn(c);
  const hub = c.var.hub;
  const [environments, manage] = await Promise.all([namespacePolicies(hub, namespace), managesNamespace(c, namespace)]);
  // A failed attempt on an environment that has no policy yet still shows there.
  if (failed && !failed.add && !environments.some((e) => e.environment === failed.form.environment)) environments.push({ environment: failed.form.environment });
  const before = c.req.query('before') || undefined;
  const audit: AuditPage | undefined = manage ? await fetchNamespaceAudit(hub, namespace, { limit: 25, before, actions: POLICY_ACTIONS }) : undefined;
  const done = DONE[c.req.query('done') ?? ''];
  const doneEnvironment = c.req.query('environment') ?? '';
  const addTrustFailed = failed?.kind === 'trust' && failed.add ? failed : undefined;
  const addVulnerabilityFailed = failed?.kind === 'vulnerability' && failed.add ? failed : undefined;
  return c.render(
    <section>
      <p>
        <a href={ui('/policies')}>← All namespaces</a>
      </p>
      <h1>Policies of {namespace}</h1>
      {done && !failed ? <Notice kind="ok">{`The ${doneEnvironment} ${done}.`}</Notice> : null}
      {failed ? <Notice kind="error">{`The ${KIND_NAMES[failed.kind]} was not saved: ${failed.message}`}</Notice> : null}
      {manage ? null : <p class="muted">You can read these policies; the namespace's owners and administrators change them.</p>}
      {environments.length === 0 ? <p class="muted">This namespace has no policies: its images are served in every environment without signature or vulnerability checks.</p> : null}
      {environments.map((env) => (
        <EnvironmentSection namespace={namespace} env={env} manage={manage} failed={failed} />
      ))}
      {manage ? (
        <section aria-labelledby="add-environment">
          <h2 id="add-environment">Add an environment</h2>
          <p class="muted">A policy for an environment by any name: pulls that name it (nocker run --env NAME) are checked by it.</p>
          <div class="columns">
            <TrustPolicyForm namespace={namespace} add={true} form={addTrustFailed?.form ?? trustFormFor(undefined, '')} error={addTrustFailed?.message} />
            <VulnerabilityPolicyForm namespace={namespace} add={true} form={addVulnerabilityFailed?.form ?? vulnerabilityFormFor(undefined, '')} error={addVulnerabilityFailed?.message} />
          </div>
        </section>
      ) : null}
      {audit ? <AuditTrail namespace={namespace} page={audit} before={before} /> : null}
    </section>,
    { title: `Policies of ${namespace}`, section: 'policies' },
  );
}

/**
 * Sends a change to the API; a refusal the person can fix (4xx other than permission or
 * visibility) re-renders the form with the API's message, anything else propagates.
 */
async function submit(c: Context<WebEnv>, namespace: string, failedOf: (message: string) => Failed, send: () => Promise<unknown>, done: string, environment: string): Promise<Response> {
  try {
    if (environment === '') throw new OciError('REQUEST_INVALID', 'name the environment the policy is for');
    await send();
  } catch (err) {
    const oci = toOciError(err);
    if (oci.status < 400 || oci.status >= 500 || oci.status === 401 || oci.status === 403 || oci.status === 404) throw err;
    c.status(oci.status as 400);
    return renderNamespace(c, namespace, failedOf(oci.message));
  }
  return c.redirect(namespacePolicyUrl(namespace, '', { done, environment }), 303);
}

export function namespacePolicyRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/policies/:namespace', (c) => renderNamespace(c, c.req.param('namespace')));

  app.post('/policies/:namespace/trust', async (c) => {
    requireSignedIn(c);
    const namespace = c.req.param('namespace');
    const posted = await c.req.parseBody();
    const form = trustFormOf(posted);
    const add = posted.add === '1';
    return submit(c, namespace, (message) => ({ kind: 'trust', add, form, message }), () => new HubAdmin(c.var.hub).setPolicy(namespace, form.environment, trustChange(form)), 'trust-set', form.environment);
  });

  app.post('/policies/:namespace/vulnerability', async (c) => {
    requireSignedIn(c);
    const namespace = c.req.param('namespace');
    const posted = await c.req.parseBody();
    const form = vulnerabilityFormOf(posted);
    const add = posted.add === '1';
    return submit(
      c,
      namespace,
      (message) => ({ kind: 'vulnerability', add, form, message }),
      () => new VulnerabilityPolicies(c.var.hub).set(namespace, form.environment, vulnerabilityChange(form)),
      'vulnerability-set',
      form.environment,
    );
  });

  // The confirmation step of a delete: what will go, and the button that does it.
  app.get('/policies/:namespace/delete', async (c) => {
    requireSignedIn(c);
    const namespace = c.req.param('namespace');
    const kind = c.req.query('kind');
    const environment = c.req.query('environment') ?? '';
    if (!isKind(kind)) throw new OciError('REQUEST_INVALID', 'say which policy to delete: kind=trust or kind=vulnerability');
    // Reading it first: a policy that is not there is a 404 page rather than a form.
    if (kind === 'trust') await new HubAdmin(c.var.hub).getPolicy(namespace, environment);
    else await new VulnerabilityPolicies(c.var.hub).get(namespace, environment);
    const what = `the ${environment} ${KIND_NAMES[kind]} of ${namespace}`;
    return c.render(
      <section>
        <h1>Delete {what}?</h1>
        <p>
          Pulls for {environment} will no longer be checked by it. The change is recorded in the audit log; the policy can be set again later.
        </p>
        <form method="post" action={namespacePolicyUrl(namespace, '/delete')} class="inline" data-confirm={`Delete ${what}?`}>
          <CsrfField />
          <input type="hidden" name="kind" value={kind} />
          <input type="hidden" name="environment" value={environment} />
          <button type="submit" class="danger">
            Delete the {KIND_NAMES[kind]}
          </button>
          <a href={namespacePolicyUrl(namespace)}>Cancel</a>
        </form>
      </section>,
      { title: `Delete ${what}`, section: 'policies' },
    );
  });

  app.post('/policies/:namespace/delete', async (c) => {
    requireSignedIn(c);
    const namespace = c.req.param('namespace');
    const posted = await c.req.parseBody();
    const kind = posted.kind;
    const environment = typeof posted.environment === 'string' ? posted.environment : '';
    if (!isKind(kind)) throw new OciError('REQUEST_INVALID', 'say which policy to delete: kind=trust or kind=vulnerability');
    if (kind === 'trust') await new HubAdmin(c.var.hub).deletePolicy(namespace, environment);
    else await new VulnerabilityPolicies(c.var.hub).delete(namespace, environment);
    return c.redirect(namespacePolicyUrl(namespace, '', { done: `${kind}-deleted`, environment }), 303);
  });

  return app;
}
