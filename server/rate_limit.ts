/**
 * Per-key token buckets (in process: each server process limits on its
 * own; a shared limit would need a shared counter).
 *
 * @module
 */

import type { RateLimit } from "./options.ts";

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key. */
export class RateLimiter {
  #limit: RateLimit;
  #buckets = new Map<string, Bucket>();
  #clock: () => number;

  /**
   * @param limit bucket size and refill rate
   * @param clock milliseconds now (tests)
   */
  constructor(limit: RateLimit, clock: () => number = () => Date.now()) {
    this.#limit = limit;
    this.#clock = clock;
  }

  /**
   * Takes one token for `key`; returns 0 when allowed, else the seconds
   * until a token is available.
   */
  take(key: string): number {
    const now = this.#clock();
    const { burst, perSecond } = this.#limit;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / 1000 * perSecond);
    b.at = now;
    this.#buckets.set(key, b);
    if (this.#buckets.size > 100_000) this.#sweep(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / perSecond);
  }

  #sweep(now: number): void {
    const full = this.#limit.burst / this.#limit.perSecond * 1000;
    for (const [k, b] of this.#buckets) {
      if (now - b.at > full) this.#buckets.delete(k);
    }
  }
}
