import { describe, expect, it } from 'vitest';
import { parseAllowlist, parseIdentities, parseNamedPems, trustChange, trustFormFor, vulnerabilityFormFor } from './forms.ts';
import { byEnvironment, orderEnvironments } from './data.ts';
import type { TrustPolicy } from '../../../hub/client/admin.ts';

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE==\nabc=\n-----END PUBLIC KEY-----';

describe('the policy forms\' text', () => {
  it('splits NAME=PEM blocks, not at base64 lines ending in =', () => {
    expect(parseNamedPems(`release=${PEM}\n\nci = ${PEM}\n`, 'key')).toEqual([
      { name: 'release', pem: `${PEM}\n` },
      { name: 'ci', pem: `${PEM}\n` },
    ]);
    // Not a PEM: passed on for the API to refuse in its words.
    expect(parseNamedPems('broken=not a pem', 'key')).toEqual([{ name: 'broken', pem: 'not a pem\n' }]);
    expect(parseNamedPems('  \n', 'key')).toEqual([]);
    expect(() => parseNamedPems(PEM, 'key')).toThrow(/NAME=/);
  });

  it('reads identities at the first = and allowlist lines with optional expiry and reason', () => {
    expect(parseIdentities('https://accounts.google.com=.+@example\\.com\n\nhttps://x=a=b')).toEqual([
      { issuer: 'https://accounts.google.com', subject: '.+@example\\.com' },
      { issuer: 'https://x', subject: 'a=b' },
    ]);
    expect(() => parseIdentities('no equals here')).toThrow(/ISSUER=SUBJECT_REGEX/);
    expect(parseAllowlist('CVE-2024-1@2030-01-31=not reachable = really\nGHSA-x\nCVE-2=why')).toEqual([
      { id: 'CVE-2024-1', expires: '2030-01-31', reason: 'not reachable = really' },
      { id: 'GHSA-x' },
      { id: 'CVE-2', reason: 'why' },
    ]);
  });

  it('goes from a stored policy to the form and back to the same policy', () => {
    const policy: TrustPolicy = {
      namespace: 'team',
      environment: 'production',
      mode: 'warn',
      keys: [{ name: 'release', pem: `${PEM}\n` }],
      roots: [],
      identities: [{ issuer: 'https://i', subject: 's' }],
      required: 2,
      version: 3,
      updatedAt: '2026-01-01T00:00:00Z',
      updatedBy: 'ann',
    };
    expect(trustChange(trustFormFor(policy, 'production'))).toEqual({ mode: 'warn', keys: policy.keys, roots: [], identities: policy.identities, required: 2 });
    expect(() => trustChange({ ...trustFormFor(policy, 'production'), required: 'two' })).toThrow(/whole number/);
    expect(vulnerabilityFormFor({ namespace: 'team', environment: 'production', mode: 'enforce', severity: 'high', allowlist: [{ id: 'CVE-1', expires: '2030-01-31', reason: 'r' }, { id: 'CVE-2' }], version: 1, updatedAt: '', updatedBy: '' }, 'production').allowlist).toBe(
      'CVE-1@2030-01-31=r\nCVE-2',
    );
  });

  it('orders environments as nocker run lists them, then by name', () => {
    expect(orderEnvironments(['staging', 'embedded', 'production', 'alpha', 'production'])).toEqual(['production', 'embedded', 'alpha', 'staging']);
    expect(byEnvironment([], []).length).toBe(0);
  });
});
