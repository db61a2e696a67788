/**
 * `rule()`: how a validation rule of RFC 9420 is written, one line per
 * rule with its section and its stable error code, so that the code reads
 * as the table in `src/group/validation/README.md`.
 *
 * @module
 */

import { MlsError, type MlsErrorCode } from "../errors.ts";

/**
 * Enforces one rule: throws `MlsError(code)` when `ok` is false. The
 * message names the section (`"RFC 9420 §7.3: ..."`).
 *
 * @param section the RFC 9420 section that states the rule, e.g. `"§7.3"`
 * @param code the stable error code of a violation
 * @param ok whether the rule holds
 * @param message what is wrong when it does not
 * @param field the offending field, if any
 */
export function rule(
  section: string,
  code: MlsErrorCode,
  ok: boolean,
  message: string,
  field?: string,
): asserts ok {
  if (!ok) throw violation(section, code, message, field);
}

/** The error {@link rule} throws, for rules decided in more than one step. */
export function violation(
  section: string,
  code: MlsErrorCode,
  message: string,
  field?: string,
): MlsError {
  return new MlsError(code, `RFC 9420 ${section}: ${message}`, field);
}
