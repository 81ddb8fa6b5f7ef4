/**
 * The edit forms of a namespace's policies, for its owners and administrators. Each posts to
 * the catalog, which sends it to the API; a refusal comes back into the same form, as typed.
 */
import type { FC } from 'hono/jsx';
import { CsrfField, Notice } from '../../components.tsx';
import { ui } from '../../paths.ts';
import { VULNERABILITY_SEVERITIES } from '../../../hub/client/vulnerability-policies.ts';
import type { TrustForm, VulnerabilityForm } from './forms.ts';

export const POLICY_MODES = ['enforce', 'warn', 'off'] as const;
export type PolicyKind = 'trust' | 'vulnerability';
export const KIND_NAMES: Record<PolicyKind, string> = { trust: 'trust policy', vulnerability: 'vulnerability policy' };

/**
 * Where a namespace's policy pages and forms are, below `/policies/NS`.
 *
 * @example
 * namespacePolicyUrl('team', '/trust'); // '/ui/policies/team/trust'
 */
export function namespacePolicyUrl(namespace: string, suffix = '', query: Record<string, string | undefined> = {}): string {
  return ui(`/policies/${encodeURIComponent(namespace)}${suffix}`, query);
}

const Select: FC<{ id: string; name: string; label: string; options: readonly string[]; value: string }> = ({ id, name, label, options, value }) => (
  <>
    <label for={id}>{label}</label>
    <select id={id} name={name}>
      {options.map((option) => (
        <option value={option} selected={option === value}>
          {option}
        </option>
      ))}
    </select>
  </>
);

/** The environment: typed for a new one, carried along for an existing one. */
const EnvironmentField: FC<{ id: string; add: boolean; value: string }> = ({ id, add, value }) =>
  add ? (
    <>
      <label for={id}>Environment name</label>
      <input id={id} name="environment" required value={value} placeholder="staging" pattern="[a-z][a-z0-9-]{0,31}" />
      <input type="hidden" name="add" value="1" />
    </>
  ) : (
    <input type="hidden" name="environment" value={value} />
  );

interface FormProps<Form> {
  namespace: string;
  form: Form;
  /** A new environment (its name is a field) rather than an existing one. */
  add: boolean;
  /** The API's refusal of the last attempt. */
  error?: string;
}

const idPrefix = (kind: PolicyKind, add: boolean, environment: string) => (add ? `add-${kind}` : `${kind}-${environment}`);

export const TrustPolicyForm: FC<FormProps<TrustForm>> = ({ namespace, form, add, error }) => {
  const id = idPrefix('trust', add, form.environment);
  return (
    <details class="policy-edit" open={error !== undefined}>
      <summary>{add ? 'Add a trust policy for a new environment' : `Edit the ${form.environment} trust policy`}</summary>
      <form method="post" action={namespacePolicyUrl(namespace, '/trust')} class="stack">
        <CsrfField />
        {error !== undefined ? <Notice kind="error">{error}</Notice> : null}
        <EnvironmentField id={`${id}-environment`} add={add} value={form.environment} />
        <Select id={`${id}-mode`} name="mode" label="Mode" options={POLICY_MODES} value={form.mode} />
        <label for={`${id}-required`}>Valid signatures required</label>
        <input id={`${id}-required`} name="required" type="number" min="1" value={form.required} />
        <label for={`${id}-keys`}>Trusted public keys, one NAME=PEM block each</label>
        <textarea id={`${id}-keys`} name="keys" rows={8} placeholder={'release=-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}>
          {form.keys}
        </textarea>
        <label for={`${id}-identities`}>Keyless signers, one ISSUER=SUBJECT_REGEX a line</label>
        <textarea id={`${id}-identities`} name="identities" rows={3} placeholder="https://token.actions.githubusercontent.com=https://github\.com/team/.+">
          {form.identities}
        </textarea>
        <label for={`${id}-roots`}>Root certificates of keyless signers, one NAME=PEM block each</label>
        <textarea id={`${id}-roots`} name="roots" rows={4}>
          {form.roots}
        </textarea>
        <button type="submit" class="primary">
          Save the trust policy
        </button>
      </form>
    </details>
  );
};

export const VulnerabilityPolicyForm: FC<FormProps<VulnerabilityForm>> = ({ namespace, form, add, error }) => {
  const id = idPrefix('vulnerability', add, form.environment);
  return (
    <details class="policy-edit" open={error !== undefined}>
      <summary>{add ? 'Add a vulnerability policy for a new environment' : `Edit the ${form.environment} vulnerability policy`}</summary>
      <form method="post" action={namespacePolicyUrl(namespace, '/vulnerability')} class="stack">
        <CsrfField />
        {error !== undefined ? <Notice kind="error">{error}</Notice> : null}
        <EnvironmentField id={`${id}-environment`} add={add} value={form.environment} />
        <Select id={`${id}-mode`} name="mode" label="Mode" options={POLICY_MODES} value={form.mode} />
        <Select id={`${id}-severity`} name="severity" label="Block fixable vulnerabilities of this severity or worse" options={VULNERABILITY_SEVERITIES} value={form.severity} />
        <label for={`${id}-allowlist`}>Allowlist, one ID[@YYYY-MM-DD][=REASON] a line</label>
        <textarea id={`${id}-allowlist`} name="allowlist" rows={4} placeholder="CVE-2024-1234@2030-01-31=not reachable from the service">
          {form.allowlist}
        </textarea>
        <button type="submit" class="primary">
          Save the vulnerability policy
        </button>
      </form>
    </details>
  );
};

/** Leads to the confirmation page; nothing is deleted by following a link. */
export const DeleteLink: FC<{ namespace: string; kind: PolicyKind; environment: string }> = ({ namespace, kind, environment }) => (
  <a class="button danger" href={namespacePolicyUrl(namespace, '/delete', { kind, environment })}>
    Delete the {environment} {KIND_NAMES[kind]}…
  </a>
);
