import { describe, expect, it } from 'vitest';
import { isAttestationEntry, platformOf } from './platform.ts';

describe('platforms', () => {
  it('writes os/arch[/variant], and nothing without both os and architecture', () => {
    expect(platformOf({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(platformOf({ os: 'linux', architecture: 'amd64', variant: '' })).toBe('linux/amd64');
    expect(platformOf({ os: 'linux' })).toBeUndefined();
    expect(platformOf({ os: 'linux', architecture: 7 })).toBeUndefined();
    expect(platformOf('linux/amd64')).toBeUndefined();
    expect(platformOf(undefined)).toBeUndefined();
  });

  it('tells attestation entries of an index from its images', () => {
    expect(isAttestationEntry({ platform: { os: 'unknown', architecture: 'unknown' } })).toBe(true);
    expect(isAttestationEntry({ platform: { os: 'linux', architecture: 'amd64' } })).toBe(false);
    expect(isAttestationEntry({})).toBe(false);
  });
});
