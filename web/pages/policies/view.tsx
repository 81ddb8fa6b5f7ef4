/**
 * A namespace's policies as read: the trust policy (keys with their ids, keyless identities,
 * roots) and the vulnerability policy (severity, allowlist with expiries). Every value here was
 * typed by someone; JSX escapes it, PEMs included.
 */
import type { FC } from 'hono/jsx';
import { CopyButton, ScrollTable, Time } from '../../components.tsx';
import type { TrustPolicy, PolicyKey } from '../../../hub/client/admin.ts';
import type { VulnerabilityPolicy } from '../../../hub/client/vulnerability-policies.ts';
import { allowlistActive } from '../../../hub/policy/vulnerability-validate.ts';
import { pemFingerprint } from './data.ts';

/** A mode as a badge whose word says it (colour only repeats it). */
export const ModeBadge: FC<{ mode: string }> = ({ mode }) => <span class={`badge ${mode === 'enforce' ? 'bad' : mode === 'warn' ? 'warn' : ''}`}>{mode}</span>;

/** A key's id, shortened like digests are, whole in the tooltip and the copy button. */
const KeyId: FC<{ pem: string }> = ({ pem }) => {
  const id = pemFingerprint(pem);
  if (!id) return <span class="muted">unreadable</span>;
  return (
    <span class="digest">
      <code title={id}>{id.slice(0, 23)}</code>
      <CopyButton text={id} label="key id" />
    </span>
  );
};

const Keys: FC<{ keys: PolicyKey[]; caption: string; label: string; idLabel: string }> = ({ keys, caption, label, idLabel }) => (
  <ScrollTable label={label}>
    <table>
      <caption class="muted">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">{idLabel}</th>
          <th scope="col">PEM</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr>
            <td>{key.name}</td>
            <td>
              <KeyId pem={key.pem} />
            </td>
            <td>
              <details>
                <summary>Show PEM</summary>
                <pre>{key.pem}</pre>
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </ScrollTable>
);

/** What either kind of policy says first: its mode, its rule, and who changed it last. */
const PolicyFacts: FC<{ policy: TrustPolicy | VulnerabilityPolicy; rule: string; value: string }> = ({ policy, rule, value }) => (
  <dl class="facts">
    <dt>Mode</dt>
    <dd>
      <ModeBadge mode={policy.mode} />
    </dd>
    <dt>{rule}</dt>
    <dd>{value}</dd>
    <dt>Version</dt>
    <dd>
      {policy.version}, changed by {policy.updatedBy} <Time at={policy.updatedAt} />
    </dd>
  </dl>
);

export const TrustPolicyView: FC<{ policy: TrustPolicy | undefined }> = ({ policy }) => {
  if (!policy) return <p class="muted">No trust policy: pulls in this environment are not checked for signatures.</p>;
  return (
    <div>
      <PolicyFacts policy={policy} rule="Signatures required" value={String(policy.required)} />
      {policy.keys.length > 0 ? <Keys keys={policy.keys} caption="Trusted keys" label={`Trusted keys for ${policy.environment}`} idLabel="Key id (SHA-256 of the public key)" /> : <p class="muted">No trusted keys.</p>}
      {policy.identities.length > 0 ? (
        <ScrollTable label={`Keyless signers for ${policy.environment}`}>
          <table>
            <caption class="muted">Keyless signers</caption>
            <thead>
              <tr>
                <th scope="col">OIDC issuer</th>
                <th scope="col">Subject (regular expression)</th>
              </tr>
            </thead>
            <tbody>
              {policy.identities.map((identity) => (
                <tr>
                  <td>
                    <code>{identity.issuer}</code>
                  </td>
                  <td>
                    <code>{identity.subject}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      ) : null}
      {policy.roots.length > 0 ? <Keys keys={policy.roots} caption="Root certificates of keyless signers" label={`Root certificates of keyless signers for ${policy.environment}`} idLabel="SHA-256 fingerprint" /> : null}
    </div>
  );
};

export const VulnerabilityPolicyView: FC<{ policy: VulnerabilityPolicy | undefined; now?: number }> = ({ policy, now = Date.now() }) => {
  if (!policy) return <p class="muted">No vulnerability policy: pulls in this environment are not checked for vulnerabilities.</p>;
  return (
    <div>
      <PolicyFacts policy={policy} rule="Blocks" value={`fixable vulnerabilities of severity ${policy.severity} or worse`} />
      {policy.allowlist.length > 0 ? (
        <ScrollTable label={`Allowed vulnerabilities for ${policy.environment}`}>
          <table>
            <caption class="muted">Allowed despite the policy</caption>
            <thead>
              <tr>
                <th scope="col">Vulnerability</th>
                <th scope="col">Until</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {policy.allowlist.map((entry) => {
                const active = allowlistActive(entry, now);
                return (
                  <tr>
                    <td>
                      <code>{entry.id}</code>
                    </td>
                    <td>
                      {entry.expires ?? 'no expiry'} {active ? null : <span class="badge bad">expired</span>}
                    </td>
                    <td>{entry.reason ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollTable>
      ) : (
        <p class="muted">Nothing allowlisted.</p>
      )}
    </div>
  );
};
