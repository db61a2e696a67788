/**
 * API errors: every failure is JSON `{ "error": { "code", "message" } }`
 * with a stable `code` (and for `epoch_conflict`, the group's `epoch`).
 *
 * @module
 */

/** The stable error codes of the HTTP API. */
export type ApiErrorCode =
  | "bad_request"
  | "malformed_message"
  | "unexpected_message"
  | "unsupported_cipher_suite"
  | "invalid_key_package"
  | "expired_key_package"
  | "invalid_group_info"
  | "ratchet_tree_required"
  | "group_mismatch"
  | "unknown_key_package"
  | "welcome_mismatch"
  | "invalid_commit"
  | "commit_mismatch"
  | "invalid_proposal"
  | "public_handshake_required"
  | "unauthorized"
  | "forbidden"
  | "not_member"
  | "signer_mismatch"
  | "external_joins_disabled"
  | "not_found"
  | "unknown_group"
  | "unknown_client"
  | "no_key_package"
  | "client_exists"
  | "group_exists"
  | "duplicate_key_package"
  | "too_many_key_packages"
  | "epoch_conflict"
  | "body_too_large"
  | "group_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "too_many_streams"
  | "body_timeout"
  | "server_busy"
  | "internal_error"
  // Registration and token proofs (server/proof.ts).
  | "challenge_required"
  | "invalid_challenge"
  | "invalid_proof"
  // Display names (routes/names.ts).
  | "invalid_name"
  | "name_taken"
  | "unknown_name"
  // The key export service (server/exports/).
  | "consumer_not_authorized"
  | "export_not_authorized"
  | "invalid_request_signature"
  | "replayed_request"
  | "stale_request";

/** An error response with a status and a stable code. */
export class ApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Stable code. */
  readonly code: ApiErrorCode;
  /** Extra fields of the error object (e.g. `epoch`). */
  readonly extra: Record<string, unknown>;

  /**
   * @param status HTTP status
   * @param code stable code
   * @param message human-readable explanation
   * @param extra extra fields for the error object
   */
  constructor(
    status: number,
    code: ApiErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  /** The JSON body. */
  toJSON(): { error: Record<string, unknown> } {
    return {
      error: { code: this.code, message: this.message, ...this.extra },
    };
  }
}

/** 400 helper. */
export function badRequest(code: ApiErrorCode, message: string): ApiError {
  return new ApiError(400, code, message);
}
