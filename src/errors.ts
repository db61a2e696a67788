/**
 * Errors thrown by webmls. Every failure is an {@link MlsError} with a stable
 * {@link MlsErrorCode}, so applications can branch on `code` without parsing
 * messages.
 *
 * @module
 */

/**
 * Stable error codes. New codes may be added; existing ones never change
 * meaning.
 *
 * - `truncated`: the input ended before a field was complete.
 * - `trailing_bytes`: bytes were left after a complete structure.
 * - `invalid_varint`: a variable-length header used the reserved `11` prefix.
 * - `non_minimal_varint`: a variable-length header was not minimally encoded
 *   (RFC 9420 §2.1.2).
 * - `unknown_enum`: an enumerated field held a value this implementation does
 *   not know.
 * - `invalid_value`: a field held a value the protocol forbids.
 * - `unsupported_cipher_suite`: the cipher suite is not offered by the
 *   crypto provider.
 * - `crypto_failure`: a cryptographic operation failed (bad key, bad
 *   ciphertext, failed authentication).
 * - `invalid_signature`: a signature did not verify.
 * - `invalid_membership_tag`: a PublicMessage membership tag did not verify.
 * - `invalid_confirmation_tag`: a confirmation tag did not verify.
 * - `wrong_content_type`: the content type cannot be used with this framing.
 * - `generation_too_old`, `generation_too_far`: a secret-tree generation was
 *   already consumed or is beyond the allowed look-ahead window (RFC 9420 §9).
 * - `invalid_leaf_index`: a leaf index was outside the tree.
 * - `invalid_argument`: an API argument was not acceptable.
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
