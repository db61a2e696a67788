/**
 * Safety numbers: a short code, in digits, that two members compare out of
 * band (read aloud, shown side by side) to confirm that they are in the
 * same group at the same epoch, with the same keys. It is derived from the
 * epoch authenticator (RFC 9420 §8.7), which members share only when
 * their views of the group agree, so a man in the middle shows on their
 * screens as different numbers.
 *
 * Derivation (stable: other implementations can reproduce it):
 *
 * ```text
 * code = ExpandWithLabel(epoch_authenticator, "webmls safety number",
 *                        group_id, 30)
 * ```
 *
 * with RFC 9420's `ExpandWithLabel` (§8: the label is prefixed with
 * "MLS 1.0 ") and the group's KDF; then each 5-byte chunk of `code`, read
 * as a big-endian unsigned integer, modulo 100000, zero-padded to five
 * digits: six groups of five digits joined by spaces, about 99 bits.
 *
 * @module
 */

import type { GroupState } from "../group/state.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { expandWithLabel } from "../crypto/labeled.ts";
import { wipe } from "../util/bytes.ts";

/** The KDF label of the safety number (with RFC 9420's "MLS 1.0 " prefix). */
export const SAFETY_NUMBER_LABEL = "webmls safety number";
/** Groups of digits in a safety number. */
export const SAFETY_NUMBER_GROUPS = 6;
const CHUNK = 5;

/**
 * The safety number of an epoch: six groups of five digits.
 *
 * @example
 * ```ts ignore
 * const code = await safetyNumber(state.cs, state.keys.epochAuthenticator, groupId);
 * ```
 */
export async function safetyNumber(
  cs: SuiteCrypto,
  epochAuthenticator: Uint8Array,
  groupId: Uint8Array,
): Promise<string> {
  const code = await expandWithLabel(
    cs,
    epochAuthenticator,
    SAFETY_NUMBER_LABEL,
    groupId,
    SAFETY_NUMBER_GROUPS * CHUNK,
  );
  const groups: string[] = [];
  for (let g = 0; g < SAFETY_NUMBER_GROUPS; g++) {
    let n = 0;
    // 40 bits fit a double exactly; the bias of `mod 1e5` is below 2^-23.
    for (let i = 0; i < CHUNK; i++) n = n * 256 + code[g * CHUNK + i];
    groups.push(String(n % 100000).padStart(5, "0"));
  }
  wipe(code);
  return groups.join(" ");
}

/**
 * The safety number of a state's epoch.
 *
 * @example
 * ```ts ignore
 * const code = await safetyNumberOf(state);
 * ```
 */
export function safetyNumberOf(state: GroupState): Promise<string> {
  return safetyNumber(
    state.cs,
    state.keys.epochAuthenticator,
    state.context.groupId,
  );
}
