/**
 * The state of one member in one group at one epoch. A state is never
 * changed in place by a group operation: operations compute a new state
 * and the caller swaps it in (and persists it) only when everything
 * succeeded. The one exception is the secret tree of an epoch, whose keys
 * are consumed as messages are sent and received (RFC 9420 §9.2): a key is
 * deleted only once the message it protects has been fully verified.
 *
 * @module
 */

import type { GroupContext } from "../messages/group_context.ts";
import type { ReInit } from "../messages/proposal.ts";
import type { EpochSecrets } from "../schedule/key_schedule.ts";
import type { SecretTree } from "../schedule/secret_tree.ts";
import type { PrivateTree } from "../tree/private_tree.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import type { GroupConfig } from "./config.ts";
import type { PendingProposal } from "./proposals.ts";

/**
 * The epoch secrets a member keeps after the key schedule (§8): all but
 * the joiner and welcome secrets (used once, for Welcomes) and the
 * encryption secret (consumed by the secret tree).
 */
export type EpochKeys = Omit<
  EpochSecrets,
  "joinerSecret" | "welcomeSecret" | "encryptionSecret"
>;

/** What is kept of a past epoch to read its late application messages. */
export interface PastEpoch {
  /** That epoch's group context. */
  context: GroupContext;
  /** That epoch's tree (senders' signature keys). */
  tree: RatchetTree;
  /** That epoch's secret tree. */
  secretTree: SecretTree;
  /** That epoch's `sender_data_secret`. */
  senderDataSecret: Uint8Array;
}

/** Whether the member can still use the group. */
export type GroupStatus = "active" | "removed" | "reinit";

/** One member's state of one group. */
export interface GroupState {
  /** The suite's crypto. */
  readonly cs: SuiteCrypto;
  /** This member's settings for the group (retention, wire format, ...). */
  readonly config: GroupConfig;
  /** The group context of the current epoch. */
  readonly context: GroupContext;
  /** The public ratchet tree (never mutated once in a state). */
  readonly tree: RatchetTree;
  /** This member's private TreeKEM keys. */
  readonly privateTree: PrivateTree;
  /** This member's signature private key. */
  readonly signer: SignaturePrivateKey;
  /** The current epoch's secrets. */
  readonly keys: EpochKeys;
  /** The current epoch's secret tree. */
  readonly secretTree: SecretTree;
  /** `interim_transcript_hash` after the last commit. */
  readonly interimTranscriptHash: Uint8Array;
  /** `confirmation_tag` of the last commit (for GroupInfo). */
  readonly confirmationTag: Uint8Array;
  /**
   * This epoch's proposals awaiting a commit (received or our own), by hex
   * ProposalRef (§12.1).
   */
  readonly proposals: ReadonlyMap<string, PendingProposal>;
  /**
   * HPKE private keys of this member's own pending Update proposals, by hex
   * proposal reference: needed if another member commits the Update.
   */
  readonly updateKeys: ReadonlyMap<string, Uint8Array>;
  /** `resumption_psk` of recent epochs, for resumption PSKs (§8.6). */
  readonly resumptionPsks: ReadonlyMap<bigint, Uint8Array>;
  /** Past epochs retained for late application messages, newest first. */
  readonly past: readonly PastEpoch[];
  /** `active`, `removed` (a commit removed us) or `reinit` (frozen). */
  readonly status: GroupStatus;
  /** The ReInit this group was closed with, when `status` is `reinit`. */
  readonly reinit?: ReInit;
}

/** This member's leaf index. */
export function ownLeaf(state: GroupState): number {
  return state.privateTree.leafIndex;
}
