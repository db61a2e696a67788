/**
 * Per-group settings: framing, padding, retention windows, and what the
 * GroupInfo advertises. Every field has a safe default.
 *
 * @module
 */

import type { PaddingPolicy } from "../framing/private_content.ts";

/** Settings of one group. */
export interface GroupConfig {
  /**
   * Wire format of this member's proposals and commits: `"private"`
   * (PrivateMessage, the default: the delivery service sees no content) or
   * `"public"` (PublicMessage, for a delivery service that must inspect
   * handshake messages).
   */
  handshakeWireFormat: "private" | "public";
  /** Padding of PrivateMessages (§6.3.1, §15.1); none by default. */
  padding?: PaddingPolicy;
  /** Past epochs whose keys are kept for late application messages. */
  maxPastEpochs: number;
  /** How far ahead of the next expected generation a message may be (§9). */
  maxForwardGeneration: number;
  /** Skipped message keys kept per sender ratchet for out-of-order delivery. */
  maxSkippedKeys: number;
  /** Put the ratchet tree into Welcome GroupInfos and exported GroupInfos. */
  ratchetTreeExtension: boolean;
  /** Put `external_pub` into GroupInfos, allowing external joins. */
  externalPub: boolean;
  /** Resumption PSKs of past epochs kept for PSK proposals and reinit. */
  maxResumptionPsks: number;
}

/** The defaults. */
export const DEFAULT_GROUP_CONFIG: Readonly<GroupConfig> = {
  handshakeWireFormat: "private",
  maxPastEpochs: 2,
  maxForwardGeneration: 1000,
  maxSkippedKeys: 64,
  ratchetTreeExtension: true,
  externalPub: true,
  maxResumptionPsks: 4,
};

/** Fills unset fields of a partial config with the defaults. */
export function groupConfig(partial: Partial<GroupConfig> = {}): GroupConfig {
  return { ...DEFAULT_GROUP_CONFIG, ...partial };
}
