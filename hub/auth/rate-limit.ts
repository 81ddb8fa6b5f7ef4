/**
 * Failed-login limiting: after `limit` failures within `windowMs` a key (an account, a client
 * address) is refused until its oldest counted failure leaves the window. Kept in memory per
 * replica: an attacker spreading guesses over replicas gets at most one allowance per replica.
 */

export interface FailureLimiterOptions {
  limit: number;
  windowMs: number;
  /** Most keys remembered; the stalest are forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly options: FailureLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /**
   * Seconds until `key` may try again; 0 when it may now.
   *
   * @example
   * const wait = limiter.retryAfter(`account:${name}`);
   * if (wait > 0) throw tooManyAttempts(wait);
   */
  retryAfter(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.options.limit) return 0;
    const oldest = recent[recent.length - this.options.limit] ?? this.now();
    return Math.max(1, Math.ceil((oldest + this.options.windowMs - this.now()) / 1000));
  }

  recordFailure(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.options.limit));
    if (this.failures.size > this.maxKeys) {
      const stalest = this.failures.keys().next().value;
      if (stalest !== undefined) this.failures.delete(stalest);
    }
  }

  /** A successful login forgets the key's failures. */
  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.failures.get(key) ?? []).filter((at) => at > since);
  }
}
