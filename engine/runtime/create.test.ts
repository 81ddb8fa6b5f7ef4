import { describe, expect, it } from 'vitest';
import { requireRoot } from './create.ts';

describe('requireRoot', () => {
  it('lets root through and tells anyone else what rootless use would need', () => {
    expect(() => requireRoot(0)).not.toThrow();
    expect(() => requireRoot(1000)).toThrow(/needs root for now: rootless containers need a user namespace with subordinate ids \(newuidmap and newgidmap from Debian's uidmap/);
  });
});
