/**
 * Naming members: by client id (the hex signature key, what an `Identity`
 * and a `Member` carry) or by the identity of their credential, which is
 * what applications know ("alice"). One identity may name several leaves
 * (a user's devices), and then it names all of them.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { bytesEqual } from "../util/bytes.ts";
import { checkClientId, checkTextOrBytes, invalid } from "./args.ts";
import type { Identity, Member } from "./types.ts";

/**
 * Members named by the identity of their basic credential (RFC 9420
 * §5.3): a string (compared as UTF-8) or the identity bytes. A
 * `BasicCredential` works too.
 */
export interface MemberByIdentity {
  /** The credential identity. */
  readonly identity: string | Uint8Array;
}

/**
 * A member named by client id, `Identity` or `Member`, or members named
 * by credential identity ({@link MemberByIdentity}).
 */
export type MemberRef = string | Identity | Member | MemberByIdentity;

/**
 * The members whose basic credential has `identity`, by leaf index.
 * Members with X.509 credentials name no identity here.
 */
export function withIdentity(
  members: readonly Member[],
  identity: Uint8Array,
): Member[] {
  return members.filter((m) =>
    m.credential.credentialType === "basic" &&
    bytesEqual(m.credential.identity, identity)
  );
}

/** Whether `ref` names members by credential identity. */
export function byIdentity(ref: unknown): ref is MemberByIdentity {
  return typeof ref === "object" && ref !== null &&
    !("clientId" in ref) && "identity" in ref;
}

/**
 * The leaves `ref` names among `members`: one for a client id, every
 * match for an identity. Naming nobody is `unknown_member`.
 */
export function leavesOf(
  members: readonly Member[],
  ref: unknown,
  field: string,
): number[] {
  if (byIdentity(ref)) {
    const f = `${field}.identity`;
    const found = withIdentity(members, checkTextOrBytes(ref.identity, f));
    if (found.length === 0) {
      throw new MlsError(
        "unknown_member",
        "no member has this credential identity",
        f,
      );
    }
    return found.map((m) => m.leafIndex);
  }
  if (ref === null || (typeof ref !== "string" && typeof ref !== "object")) {
    invalid(field, "a client id, Identity, Member or { identity }", ref);
  }
  const id = checkClientId(ref as string, field);
  const m = members.find((x) => x.clientId === id);
  if (!m) {
    throw new MlsError(
      "unknown_member",
      "no member has this client id (the hex signature key; to name a member by its credential, pass { identity })",
      field,
    );
  }
  return [m.leafIndex];
}

/**
 * The leaves of a commit that removes `refs` (see `GroupView.remove`),
 * made by the member at leaf `me`: a member named by identity is removed
 * on all its devices but `me`, since a commit cannot remove its committer
 * (RFC 9420 §12.2): an identity only `me` has is `remove_committer`.
 */
export function leavesToRemove(
  members: readonly Member[],
  refs: readonly { value: unknown; field: string }[],
  me: number,
): number[] {
  const leaves = new Set<number>();
  for (const { value, field } of refs) {
    let found = leavesOf(members, value, field);
    if (byIdentity(value)) {
      found = found.filter((l) => l !== me);
      if (found.length === 0) {
        throw new MlsError(
          "remove_committer",
          "only this member has this identity, and a commit cannot remove its committer (RFC 9420 §12.2)",
          `${field}.identity`,
        );
      }
    }
    for (const l of found) leaves.add(l);
  }
  return [...leaves];
}

/**
 * The leaves of every member but the one at `me` (a commit that removes
 * everyone else).
 *
 * @example
 * ```ts ignore
 * const proposals = otherLeaves(view.members, me).map(removeProposal);
 * ```
 */
export function otherLeaves(members: readonly Member[], me: number): number[] {
  return members.map((m) => m.leafIndex).filter((l) => l !== me);
}
