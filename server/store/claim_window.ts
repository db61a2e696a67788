/**
 * The fixed windows of key-package claim limits, shared by the stores:
 * which window a time falls in, when it ends, and whether a requester's
 * counts of that window allow one more regular key package.
 *
 * @module
 */

import type { ClaimLimits } from "./store.ts";

/** A requester's counts of regular key packages taken in one window. */
export interface ClaimCounts {
  /** Of this target, by this requester. */
  readonly pair: number;
  /** By this requester, of every target. */
  readonly requester: number;
  /** Of this target, by every requester. */
  readonly target: number;
}

/** The window `nowSeconds` falls in, and the seconds until it ends (>= 1). */
export function claimWindow(
  limits: ClaimLimits,
  nowSeconds: number,
): { window: number; retryAfter: number } {
  const w = Math.max(1, Math.floor(limits.windowSeconds));
  const window = Math.floor(nowSeconds / w);
  return { window, retryAfter: Math.max(1, (window + 1) * w - nowSeconds) };
}

/** Whether one more regular key package would exceed a limit. */
export function overLimit(c: ClaimCounts, limits: ClaimLimits): boolean {
  return c.pair >= limits.perPair || c.requester >= limits.perRequester ||
    c.target >= limits.perTarget;
}
