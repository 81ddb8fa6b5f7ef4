import { describe, expect, it } from 'vitest';
import { vulnerabilityLookupKey } from './lookup.ts';

describe('vulnerabilityLookupKey', () => {
  it('drops the release and keeps names exact, except PyPI in PEP 503 form', () => {
    expect(vulnerabilityLookupKey('Debian:12', 'openssl')).toEqual({ ecosystemBase: 'Debian', name: 'openssl' });
    expect(vulnerabilityLookupKey('Alpine:v3.20', 'musl')).toEqual({ ecosystemBase: 'Alpine', name: 'musl' });
    expect(vulnerabilityLookupKey('PyPI', 'Zope.Interface__X')).toEqual({ ecosystemBase: 'PyPI', name: 'zope-interface-x' });
    expect(vulnerabilityLookupKey('npm', 'Left-Pad')).toEqual({ ecosystemBase: 'npm', name: 'Left-Pad' });
  });
});
