/**
 * Recovery from a commit this member cannot process. The service accepts
 * a PrivateMessage commit without reading it, so a member can post one no
 * one can process (garbage, or keys for the wrong tree); and no service
 * can check a PublicMessage commit's ciphertexts. Once accepted, that
 * commit is the group's history: every later commit is for the next epoch.
 * A member whose `receive()` of an accepted commit for its current epoch
 * fails for good therefore rejoins by external-commit resync (RFC 9420
 * §12.4.3.2) from the GroupInfo the service published with that commit,
 * replacing its old leaf; where the group offers no external join (or the
 * application refused the commit, which a resync would accept anyway) it
 * reports `needs_rejoin` instead.
 *
 * @module
 */

import {
  type CredentialInfo,
  type GroupView,
  type KeyPackageCapabilities,
  type MLS,
  MlsError,
  type MlsErrorCode,
} from "../../mod.ts";
import { DeliveryError, type DeliveryHttp, type InboxEntry } from "./http.ts";
import type { DeliveryEvent } from "./types.ts";

/** What recovery uses of a `DeliveryClient`. */
export interface RecoveryClient {
  /** The HTTP API. */
  readonly http: DeliveryHttp;
  /** The MLS instance. */
  readonly mls: MLS;
  /** The client id. */
  readonly clientId: string;
  /** The credential for the new leaf. */
  readonly credential: CredentialInfo;
  /**
   * The new leaf's capabilities (the client's), so that a group requiring
   * an application type takes it back (RFC 9420 §11.1, §12.4.3.2).
   */
  readonly capabilities?: KeyPackageCapabilities;
}

/** Failures of the client's own storage: retrying may succeed. */
const TRANSIENT = new Set<MlsErrorCode>([
  "storage_limit",
  "storage_conflict",
  "storage_closed",
  "storage_failure",
]);

/**
 * Whether `error`, thrown by `group.receive()` of `entry`, means this
 * member can never process the group's accepted commit.
 */
export function cannotProcessCommit(
  group: GroupView,
  entry: InboxEntry,
  error: unknown,
): boolean {
  return entry.kind === "commit" && error instanceof MlsError &&
    !TRANSIENT.has(error.code) && error.code !== "removed" &&
    group.status === "active" && BigInt(entry.epoch) === group.epoch;
}

/**
 * Handles a failed `receive()`: when the member cannot process the group's
 * accepted commit, rejoins by resync (event `recovered`) or reports
 * `needs_rejoin`, and returns true; otherwise returns false (the caller
 * reports the error as before).
 */
export async function recoverFromCommit(
  client: RecoveryClient,
  emit: (event: DeliveryEvent) => void,
  group: GroupView,
  entry: InboxEntry,
  error: unknown,
  maxRetries: number,
): Promise<boolean> {
  if (!cannotProcessCommit(group, entry, error)) return false;
  const groupId = entry.groupId;
  if (error instanceof MlsError && error.code === "unauthorized") {
    emit({ type: "needs_rejoin", groupId, error });
    return true;
  }
  try {
    const rejoined = await resync(client, groupId, maxRetries);
    emit({ type: "recovered", groupId, group: rejoined, error });
  } catch (resyncError) {
    emit({ type: "needs_rejoin", groupId, error, resyncError });
  }
  return true;
}

/**
 * Rejoins `groupId` by external commit replacing this client's old leaf,
 * from the latest published GroupInfo; again with a fresh one when another
 * commit got in first.
 */
export async function resync(
  client: RecoveryClient,
  groupId: string,
  maxRetries: number,
): Promise<GroupView> {
  for (let attempt = 0;; attempt++) {
    const info = await client.http.groupInfo(groupId);
    const { group, commit } = await client.mls.groupJoinExternal(
      client.clientId,
      client.credential,
      info,
      {
        resync: true,
        ...client.capabilities ? { capabilities: client.capabilities } : {},
      },
    );
    const gi = await group.groupInfo({ ratchetTree: true });
    const bundle = new Uint8Array(commit.length + gi.length);
    bundle.set(commit);
    bundle.set(gi, commit.length);
    try {
      await client.http.post(groupId, bundle);
      return group;
    } catch (e) {
      await group.deleteState(); // never accepted: the new state is void
      const retry = e instanceof DeliveryError &&
        e.code === "epoch_conflict" && attempt < maxRetries;
      if (!retry) throw e;
    }
  }
}
