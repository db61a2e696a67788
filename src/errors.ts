/**
 * Errors thrown by webmls. Every failure is an {@link MlsError} with a stable
 * {@link MlsErrorCode}, so applications can branch on `code` without parsing
 * messages.
 *
 * @module
 */

/**
 * Stable error codes. New codes may be added; existing ones never change
 * meaning. By area:
 *
 * Decoding (with `field` naming the failing field):
 * `truncated`, `trailing_bytes`, `invalid_varint` (reserved `11` prefix),
 * `non_minimal_varint` (§2.1.2), `unknown_enum`, `invalid_value`,
 * `invalid_wire_format` (a message of the wrong kind for the call),
 * `not_mls_message` (the Web API was given bytes whose first field, the
 * MLSMessage protocol version of §6, is not mls10: not an MLS message).
 *
 * Cryptography: `unsupported_cipher_suite`, `cipher_suite_mismatch`,
 * `crypto_failure` (bad key, ciphertext or authentication tag),
 * `invalid_signature`, `invalid_membership_tag`, `invalid_confirmation_tag`.
 *
 * Framing (§6): `wrong_group`, `wrong_epoch`, `wrong_content_type`,
 * `invalid_sender`, `invalid_padding`, `generation_too_old` (key already
 * used or deleted: a replay), `generation_too_far` (beyond the window).
 *
 * Trees (§7): `invalid_tree_shape`, `invalid_leaf_index`,
 * `invalid_parent_hash`, `invalid_unmerged_leaves`, `tree_hash_mismatch`,
 * `duplicate_encryption_key`, `duplicate_signature_key`,
 * `invalid_leaf_node_source`, `invalid_lifetime`, `unsupported_credential`,
 * `unsupported_capability`, `unsupported_capabilities`,
 * `unsupported_extension`, `unsupported_group_extension` (a leaf lacks a
 * GroupContext extension, §13.4), `lifetime_too_long` (beyond the
 * application's maximum, §7.2), `invalid_update_path`,
 * `invalid_path_public_key`, `invalid_path_secret`, `no_decryption_key`,
 * `inconsistent_private_key`.
 *
 * Credentials (§5.3.1): `invalid_credential` (the application's validator
 * refused a credential or a change of credential), `invalid_resync` (an
 * external commit removes a member it may not replace, §12.2).
 *
 * Key packages (§10): `unsupported_version`, `init_key_reused`,
 * `welcome_not_for_us`.
 *
 * Proposals and commits (§12.1, §12.2), one code per rule:
 * `add_wrong_suite`, `duplicate_add`, `add_existing_member`,
 * `invalid_update_sender`, `update_by_committer`, `update_same_key`,
 * `remove_blank_leaf`, `remove_committer`, `duplicate_update_remove`,
 * `invalid_psk_nonce`, `invalid_psk_usage`, `duplicate_psk`, `missing_psk`,
 * `invalid_reinit`, `reinit_not_alone`, `external_init_in_commit`,
 * `invalid_external_commit`, `duplicate_gce`, `duplicate_extension`
 * (§13.4, in any extension list),
 * `unsupported_proposal`, `invalid_proposal`,
 * `external_proposal_not_allowed`, `unknown_proposal`, `missing_path`,
 * `own_commit`.
 *
 * Joining (§12.4.3): `missing_ratchet_tree`, `missing_external_pub`,
 * `invalid_signer`, `invalid_resumption`, `not_reinitialized`.
 *
 * Group state and the Web API: `unauthorized` (the `authorize` hook said
 * no), `removed` (this member was removed), `group_reinitialized` (a
 * ReInit closed the group: nothing is sent, no handshake or current-epoch
 * message accepted, §12.4.2), `commit_failed` (an automatic commit failed
 * for a reason that is not an `MlsError`),
 * `commit_pending`, `no_pending_commit`, `proposals_pending` (application
 * data while the epoch has uncommitted proposals), `unknown_member`,
 * `unknown_identity`, `group_exists`, `group_deleted`,
 * `unsupported_state_version`, `invalid_state_format`, `signer_required`,
 * `signer_mismatch`, `invalid_argument` (a Web API argument or option of
 * the wrong type or out of range; `field` names it).
 *
 * Storage: `storage_limit` (a batch too large for the backend),
 * `storage_conflict` (a conditional batch found another writer's change;
 * from a group view: other views of the member kept writing first),
 * `storage_closed`, `storage_failure` (any other backend error, with the
 * backend's error as `cause`; nothing was written).
 *
 * Encryption at rest (`EncryptedStorage`): `storage_tampered` (a stored
 * value failed authentication: altered, or moved from another key),
 * `wrong_key` (the key or passphrase does not open the store).
 */
export type MlsErrorCode =
  | "truncated"
  | "trailing_bytes"
  | "invalid_varint"
  | "non_minimal_varint"
  | "unknown_enum"
  | "invalid_value"
  | "unsupported_cipher_suite"
  | "crypto_failure"
  | "invalid_signature"
  | "invalid_membership_tag"
  | "invalid_confirmation_tag"
  | "wrong_content_type"
  | "generation_too_old"
  | "generation_too_far"
  | "invalid_leaf_index"
  | "invalid_argument"
  | "not_mls_message"
  | "invalid_wire_format"
  | "unknown_member"
  // Codes added by later layers are plain strings; the union keeps editor
  // completion for the known ones.
  | (string & Record<never, never>);

/**
 * The single error type of webmls.
 *
 * @example Branch on the stable code
 * ```ts
 * import { MlsError } from "@webmls/mls";
 * try {
 *   throw new MlsError("truncated", "not enough bytes", "KeyPackage.version");
 * } catch (e) {
 *   if (e instanceof MlsError && e.code === "truncated") {
 *     console.log(`bad input at ${e.field}`);
 *   }
 * }
 * ```
 */
export class MlsError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: MlsErrorCode;
  /** Dotted path of the field that failed, when the error is about input. */
  field?: string;

  /**
   * Creates an error with a stable code.
   *
   * @param code stable error code
   * @param message human-readable explanation (never contains secrets)
   * @param field the field that failed, if any
   * @param options standard error options (`cause`)
   */
  constructor(
    code: MlsErrorCode,
    message: string,
    field?: string,
    options?: ErrorOptions,
  ) {
    super(field ? `${message} (${field})` : message, options);
    this.name = "MlsError";
    this.code = code;
    this.field = field;
  }

  /** Prefixes {@link MlsError.field} with an enclosing field name. */
  within(parent: string): this {
    this.field = this.field ? `${parent}.${this.field}` : parent;
    this.message = `${
      this.message.replace(/ \([^()]*\)$/, "")
    } (${this.field})`;
    return this;
  }
}
