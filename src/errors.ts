/**
 * Errors thrown by webmls. Every failure is an {@link MlsError} with a stable
 * {@link MlsErrorCode}, so applications can branch on `code` without parsing
 * messages. The codes are a closed set (`src/error_codes.ts`): a code that
 * is not in it does not compile.
 *
 * @module
 */

import { MlsErrorCode } from "./error_codes.ts";

export { MlsErrorCode };

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
