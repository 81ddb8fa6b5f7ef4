import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './rate-limit.ts';

describe('FailureLimiter', () => {
  it('refuses a key after the limit until the window moves past its failures', () => {
    let now = 0;
    const limiter = new FailureLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a')).toBe(0);
      limiter.recordFailure('a');
      now += 1000;
    }
    expect(limiter.retryAfter('a')).toBe(57);
    expect(limiter.retryAfter('b')).toBe(0);
    now = 60_001;
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('forgets a key on success', () => {
    const limiter = new FailureLimiter({ limit: 1, windowMs: 60_000 });
    limiter.recordFailure('a');
    expect(limiter.retryAfter('a')).toBeGreaterThan(0);
    limiter.reset('a');
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('stays bounded in memory', () => {
    const limiter = new FailureLimiter({ limit: 1, windowMs: 60_000, maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) limiter.recordFailure(key);
    expect(limiter.retryAfter('a')).toBe(0);
    expect(limiter.retryAfter('c')).toBeGreaterThan(0);
  });
});
