/**
 * The closed set of stable error codes of webmls: every `MlsError` carries
 * one of these, and `new MlsError(code, …)` and `rule(…, code, …)` accept
 * nothing else, so a misspelt code does not compile. New codes may be
 * added; existing ones never change meaning or spelling.
 *
 * @module
 */

/**
 * Every error code, keyed by itself, each with its meaning and, where it
 * comes from RFC 9420, the section that states the rule.
 *
 * @example Branch on a code without repeating its spelling
 * ```ts
 * import { MlsError, MlsErrorCode } from "@webmls/mls";
 * const e: unknown = new MlsError("removed", "this member was removed");
 * if (e instanceof MlsError && e.code === MlsErrorCode.removed) {
 *   console.log("left the group");
 * }
 * ```
 */
export const MlsErrorCode = {
  // Decoding (with `field` naming the failing field).
  /** Input ends before a field does (§2.1). */
  truncated: "truncated",
  /** Bytes follow a complete structure (§2.1). */
  trailing_bytes: "trailing_bytes",
  /** A variable-length integer with the reserved `11` prefix (§2.1.2). */
  invalid_varint: "invalid_varint",
  /** A variable-length integer not in its shortest form (§2.1.2). */
  non_minimal_varint: "non_minimal_varint",
  /** A value of a closed enum that is not defined (§2.1). */
  unknown_enum: "unknown_enum",
  /** A field whose value is out of range or malformed. */
  invalid_value: "invalid_value",
  /** A message of the wrong wire format for the call (§6). */
  invalid_wire_format: "invalid_wire_format",
  /** Bytes whose first field is not the MLSMessage version mls10 (§6). */
  not_mls_message: "not_mls_message",

  // Cryptography.
  /** A cipher suite this implementation or provider does not offer (§5.1). */
  unsupported_cipher_suite: "unsupported_cipher_suite",
  /** Objects that must share a cipher suite do not: Welcome, GroupInfo, key package, ReInit (§12.4.3.1, §11.2). */
  cipher_suite_mismatch: "cipher_suite_mismatch",
  /** A bad key, ciphertext or authentication tag. */
  crypto_failure: "crypto_failure",
  /** A signature does not verify (§5.1.2). */
  invalid_signature: "invalid_signature",
  /** A PublicMessage's membership tag does not verify (§6.2). */
  invalid_membership_tag: "invalid_membership_tag",
  /** A commit's or Welcome's confirmation tag does not verify (§6.1, §12.4.3). */
  invalid_confirmation_tag: "invalid_confirmation_tag",

  // Framing (§6).
  /** A message for another group (§6). */
  wrong_group: "wrong_group",
  /** A message for an epoch that is not accepted (§6, §12.4.2). */
  wrong_epoch: "wrong_epoch",
  /** A content type that is not allowed here (§6). */
  wrong_content_type: "wrong_content_type",
  /** A sender that does not exist or may not send this content (§6.1). */
  invalid_sender: "invalid_sender",
  /** A PrivateMessage's padding is not all zeros (§6.3.1). */
  invalid_padding: "invalid_padding",
  /** A message key already used or deleted: a replay (§9.1). */
  generation_too_old: "generation_too_old",
  /** A generation beyond the forward window of the secret tree (§9). */
  generation_too_far: "generation_too_far",

  // Trees (§7).
  /** A ratchet tree that is empty, too large or malformed (§7.1, §12.4.3.1). */
  invalid_tree_shape: "invalid_tree_shape",
  /** No member at a leaf index, or a new member not at the leftmost blank leaf (§12.4.3.2). */
  invalid_leaf_index: "invalid_leaf_index",
  /** A parent hash that does not verify (§7.9.2). */
  invalid_parent_hash: "invalid_parent_hash",
  /** An unmerged-leaves list that is not valid (§7.1, §12.4.3.1). */
  invalid_unmerged_leaves: "invalid_unmerged_leaves",
  /** The ratchet tree does not match the GroupInfo's tree hash (§12.4.3.1). */
  tree_hash_mismatch: "tree_hash_mismatch",
  /** An encryption key used by two nodes of the tree (§7.3). */
  duplicate_encryption_key: "duplicate_encryption_key",
  /** A signature key used by two leaves of the tree (§7.3). */
  duplicate_signature_key: "duplicate_signature_key",
  /** A leaf's `leaf_node_source` is not the one the context requires (§7.3). */
  invalid_leaf_node_source: "invalid_leaf_node_source",
  /** A key-package leaf's lifetime does not contain the current time (§7.3). */
  invalid_lifetime: "invalid_lifetime",
  /** A leaf whose credential type is not in its capabilities (§7.2). */
  unsupported_credential: "unsupported_credential",
  /** A leaf lacks a capability the group's required_capabilities lists (§11.1). */
  unsupported_capability: "unsupported_capability",
  /**
   * A member's own capabilities lack its version, its suite (§10.1) or the
   * extensions of the group it creates (§13.4).
   */
  unsupported_capabilities: "unsupported_capabilities",
  /** A leaf or key package carries an extension it does not list (§7.2). */
  unsupported_extension: "unsupported_extension",
  /** A leaf does not support one of the group's extensions (§13.4). */
  unsupported_group_extension: "unsupported_group_extension",
  /** A lifetime beyond the application's maximum (§7.2). */
  lifetime_too_long: "lifetime_too_long",
  /** An UpdatePath of the wrong length or ciphertext count (§7.6, §12.4.2). */
  invalid_update_path: "invalid_update_path",
  /** A path secret whose derived key differs from the tree's (§7.6). */
  invalid_path_public_key: "invalid_path_public_key",
  /** A path secret for a node off the filtered direct path (§7.5). */
  invalid_path_secret: "invalid_path_secret",
  /** No private key for the copath resolution of an UpdatePath (§7.6). */
  no_decryption_key: "no_decryption_key",
  /** A stored private key does not match the tree's public key. */
  inconsistent_private_key: "inconsistent_private_key",

  // Credentials (§5.3.1).
  /** The application's validator refused a credential or its change (§5.3.1). */
  invalid_credential: "invalid_credential",
  /** An external commit removes a member it may not replace (§12.2). */
  invalid_resync: "invalid_resync",

  // Key packages (§10).
  /** A key package whose protocol version is not mls10 (§10.1). */
  unsupported_version: "unsupported_version",
  /** A key package whose init_key is its leaf's encryption_key (§10.1). */
  init_key_reused: "init_key_reused",
  /** A Welcome with no secrets for any of this client's key packages (§12.4.3). */
  welcome_not_for_us: "welcome_not_for_us",

  // Proposals and commits (§12.1, §12.2), one code per rule.
  /** An Add whose key package is for another suite or version (§12.1.1). */
  add_wrong_suite: "add_wrong_suite",
  /** Two Adds for one client (§12.2). */
  duplicate_add: "duplicate_add",
  /** An Add of a current member that the list does not remove (§12.2). */
  add_existing_member: "add_existing_member",
  /** An Update not from a member's non-blank leaf (§12.1.2). */
  invalid_update_sender: "invalid_update_sender",
  /** An Update by the committer of the commit (§12.2). */
  update_by_committer: "update_by_committer",
  /** An Update that keeps the leaf's encryption key (§12.1.2). */
  update_same_key: "update_same_key",
  /** A Remove of a blank leaf (§12.1.3). */
  remove_blank_leaf: "remove_blank_leaf",
  /** A Remove of the committer (§12.2). */
  remove_committer: "remove_committer",
  /** Two Updates or Removes of one leaf (§12.2). */
  duplicate_update_remove: "duplicate_update_remove",
  /** A PreSharedKey whose psk_nonce is not KDF.Nh bytes (§12.1.4). */
  invalid_psk_nonce: "invalid_psk_nonce",
  /** A resumption PSK of a usage the commit is not (§12.1.4, §11.2, §11.3). */
  invalid_psk_usage: "invalid_psk_usage",
  /** Two PreSharedKeys with one id (§12.2). */
  duplicate_psk: "duplicate_psk",
  /** A PSK the commit or Welcome names is not available (§8.4). */
  missing_psk: "missing_psk",
  /** A ReInit to an older protocol version (§12.1.5). */
  invalid_reinit: "invalid_reinit",
  /** A ReInit with other proposals in one commit (§12.2). */
  reinit_not_alone: "reinit_not_alone",
  /** An ExternalInit in a member's commit (§12.2). */
  external_init_in_commit: "external_init_in_commit",
  /** An external commit that breaks the rules of §12.2. */
  invalid_external_commit: "invalid_external_commit",
  /** Two GroupContextExtensions in one commit (§12.2). */
  duplicate_gce: "duplicate_gce",
  /** One extension type twice in an extension list (§13.4). */
  duplicate_extension: "duplicate_extension",
  /** A proposal type this implementation does not know (§12.2). */
  unsupported_proposal: "unsupported_proposal",
  /** A proposal that may not be sent or used as it is (§12.1). */
  invalid_proposal: "invalid_proposal",
  /** A proposal type an external sender may not send (§12.1.8). */
  external_proposal_not_allowed: "external_proposal_not_allowed",
  /** A commit references a proposal this member has not received (§12.4). */
  unknown_proposal: "unknown_proposal",
  /** A commit without the UpdatePath its proposals require (§12.4). */
  missing_path: "missing_path",
  /** One's own commit received: apply the pending commit instead. */
  own_commit: "own_commit",

  // Joining (§12.4.3).
  /** No ratchet tree in the Welcome's GroupInfo nor given (§12.4.3.3). */
  missing_ratchet_tree: "missing_ratchet_tree",
  /** A GroupInfo without external_pub: no external join (§12.4.3.2). */
  missing_external_pub: "missing_external_pub",
  /** A GroupInfo signed by no member of its tree (§12.4.3.1). */
  invalid_signer: "invalid_signer",
  /** A resumption Welcome or commit that breaks §11.2 or §11.3. */
  invalid_resumption: "invalid_resumption",
  /** A resumption of a group with no committed ReInit (§11.2). */
  not_reinitialized: "not_reinitialized",

  // Group state and the Web API.
  /** The application's `authorize` hook refused a proposal or commit. */
  unauthorized: "unauthorized",
  /** This member was removed from the group. */
  removed: "removed",
  /** A ReInit closed the group: nothing more is sent or accepted (§12.4.2). */
  group_reinitialized: "group_reinitialized",
  /** An automatic commit failed for a reason that is not an `MlsError`. */
  commit_failed: "commit_failed",
  /** A commit of this member is pending: apply or clear it first. */
  commit_pending: "commit_pending",
  /** `applyPendingCommit()` with no pending commit. */
  no_pending_commit: "no_pending_commit",
  /** Application data while the epoch has uncommitted proposals (§12.4). */
  proposals_pending: "proposals_pending",
  /** No member matches the given client id, identity or leaf. */
  unknown_member: "unknown_member",
  /** No identity with this client id in storage. */
  unknown_identity: "unknown_identity",
  /** This client's state of this group is stored already. */
  group_exists: "group_exists",
  /** This member's state of the group was deleted. */
  group_deleted: "group_deleted",
  /** A stored state of a format version this code does not read. */
  unsupported_state_version: "unsupported_state_version",
  /** A stored state that does not decode. */
  invalid_state_format: "invalid_state_format",
  /** A state stored without its signature key, restored without one. */
  signer_required: "signer_required",
  /** A signature key that is not this member's. */
  signer_mismatch: "signer_mismatch",
  /** A Web API argument or option of the wrong type or range (`field`). */
  invalid_argument: "invalid_argument",

  // Storage.
  /** A batch too large for the storage backend. */
  storage_limit: "storage_limit",
  /** A conditional batch found another writer's change. */
  storage_conflict: "storage_conflict",
  /** The storage was closed. */
  storage_closed: "storage_closed",
  /** Any other backend error (its error is the `cause`); nothing was written. */
  storage_failure: "storage_failure",

  // Encryption at rest (`EncryptedStorage`).
  /** A stored value failed authentication: altered, or moved from another key. */
  storage_tampered: "storage_tampered",
  /** The key or passphrase does not open the store. */
  wrong_key: "wrong_key",
} as const;
Object.freeze(MlsErrorCode);

/** A stable error code: one of the values of {@link MlsErrorCode}. */
export type MlsErrorCode = typeof MlsErrorCode[keyof typeof MlsErrorCode];
