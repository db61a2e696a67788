/**
 * How verification failures become API errors: a library `MlsError` from
 * checking a commit or proposal against the public state is a 400 with a
 * stable API code and the library's code as `reason`.
 *
 * @module
 */

import { MlsError } from "../../src/errors.ts";
import { ApiError, type ApiErrorCode } from "../errors.ts";

/** A 400 `code` whose `reason` is a library or service rule code. */
export function refusal(
  code: ApiErrorCode,
  reason: string,
  message: string,
): ApiError {
  return new ApiError(400, code, `${reason}: ${message}`, { reason });
}

/**
 * Runs `f`, turning an `MlsError` into {@link refusal}`(code, e.code)`.
 * `ApiError`s pass through; anything else is a bug and propagates.
 */
export async function refusing<T>(
  code: ApiErrorCode,
  f: () => Promise<T>,
): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof MlsError) throw refusal(code, e.code, e.message);
    throw e;
  }
}

/** `400 commit_mismatch`: the posted GroupInfo is not the commit's result. */
export function commitMismatch(what: string): ApiError {
  return refusal(
    "commit_mismatch",
    what,
    "the GroupInfo does not match the group state the commit leads to",
  );
}
