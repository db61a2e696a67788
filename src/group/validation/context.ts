/**
 * What validation sees of the group, and the application's settings that
 * take part in it: built once per received message or commit by
 * {@link validationContext}.
 *
 * @module
 */

import type { GroupContext } from "../../messages/group_context.ts";
import type { RatchetTree } from "../../tree/ratchet_tree.ts";
import type { SuiteCrypto } from "../../../providers/provider.ts";
import type { ProposalWithSender } from "../proposals.ts";
import type { GroupState } from "../state.ts";
import {
  type CredentialValidator,
  defaultCredentialValidator,
} from "./credential.ts";

/** The application's settings for validation; all optional. */
export interface ValidationOptions {
  /**
   * Current time: key-package leaves must be within their lifetime (§7.3).
   * Unchecked when absent (the RFC only recommends it for received leaves).
   */
  now?: Date;
  /**
   * Longest acceptable total lifetime of a key-package leaf, in seconds
   * (§7.2); unchecked when absent.
   */
  maxLifetime?: number;
  /**
   * The Authentication Service (§5.3.1); {@link defaultCredentialValidator}
   * when absent.
   */
  validateCredential?: CredentialValidator;
}

/** The group as validation sees it, with the settings filled in. */
export interface ValidationContext {
  /** The suite's crypto. */
  readonly cs: SuiteCrypto;
  /** The tree of the current epoch. */
  readonly tree: RatchetTree;
  /** The current GroupContext (id, version, epoch, extensions). */
  readonly context: GroupContext;
  /** See {@link ValidationOptions.now}. */
  readonly now?: Date;
  /** See {@link ValidationOptions.maxLifetime}. */
  readonly maxLifetime?: number;
  /** The credential validator in force. */
  readonly validateCredential: CredentialValidator;
  /**
   * A reinit or branch resumption PSK usage allowed in this list: only in
   * the first commit of a reinitialized or branched group (§11.2, §11.3).
   */
  readonly allowResumptionUsage?: number;
  /**
   * The outcome of each proposal's own checks (the error, or `undefined`),
   * so a list tried several times (a commit leaving out invalid proposals)
   * checks each proposal once.
   */
  readonly checked: WeakMap<ProposalWithSender, Promise<unknown>>;
}

/** The validation context of `state`'s current epoch. */
export function validationContext(
  state: Pick<GroupState, "cs" | "tree" | "context">,
  options: ValidationOptions = {},
  allowResumptionUsage?: number,
): ValidationContext {
  return {
    cs: state.cs,
    tree: state.tree,
    context: state.context,
    now: options.now,
    maxLifetime: options.maxLifetime,
    validateCredential: options.validateCredential ??
      defaultCredentialValidator,
    allowResumptionUsage,
    checked: new WeakMap(),
  };
}
