/**
 * A commit this member made and has not applied yet: its stored record
 * (`pending/<groupId>/<clientId>`, see `records.ts`) and the state of the
 * epoch it leads to. It stays pending until it comes back from the
 * delivery service or `applyPendingCommit()`, and is dropped by
 * `clearPendingCommit()` or by another commit of the epoch.
 *
 * @module
 */

import { decode, encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import type { CreatedCommit } from "../group/commit.ts";
import { ExtensionType } from "../messages/extension.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import { bytesEqual } from "../util/bytes.ts";
import type { GroupState } from "../group/state.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
} from "../../providers/provider.ts";
import { leafSummary } from "./received_result.ts";
import { deserializeWhole, serializeWhole } from "./persist.ts";
import { type PendingRecord, pendingRecord } from "./records.ts";
import type { StorageWrite } from "./storage/storage.ts";
import type { CommitOutput } from "./types.ts";

/** Our pending commit: its record and the next epoch's state. */
export interface PendingCommit {
  /** What is stored (the messages to send again, the summary). */
  readonly record: PendingRecord;
  /** The state of the epoch the commit leads to. */
  readonly state: GroupState;
}

/**
 * The pending commit of `c`, made in the epoch of `base` by `clientId`,
 * whose output is `out`.
 *
 * @example
 * ```ts ignore
 * const c = await createCommit(state);
 * const pending = pendingCommit(state, c, commitOutput(c, state), clientId);
 * ```
 */
export function pendingCommit(
  base: GroupState,
  c: CreatedCommit,
  out: CommitOutput,
  clientId: string,
): PendingCommit {
  const record: PendingRecord = {
    epoch: base.context.epoch,
    commit: out.commit,
    welcome: out.welcome,
    groupInfo: out.groupInfo,
    state: serializeWhole(c.state, clientId, base),
    summary: leafSummary(c.summary),
  };
  return { record, state: c.state };
}

/**
 * `pending` with its next epoch's state replaced by `state` (a setting
 * changed meanwhile), re-serialized for `clientId`.
 *
 * @example
 * ```ts ignore
 * const changed = withPendingState(pending, { ...pending.state, config }, clientId);
 * ```
 */
export function withPendingState(
  pending: PendingCommit,
  state: GroupState,
  clientId: string,
  base: GroupState,
): PendingCommit {
  const record = {
    ...pending.record,
    state: serializeWhole(state, clientId, base),
  };
  return { record, state };
}

/**
 * The write that stores `pending` under `key`.
 *
 * @example
 * ```ts ignore
 * await store.batch([pendingWrite(store.keys.pending, pending)]);
 * ```
 */
export function pendingWrite(
  key: string,
  pending: PendingCommit,
): StorageWrite {
  const compact = withoutTree(pending.record.groupInfo, pending.state);
  const record = compact
    ? { ...pending.record, groupInfo: compact, groupInfoTreeOmitted: true }
    : pending.record;
  return { key, value: pendingRecord.encode(record) };
}

/**
 * `groupInfo` (an MLSMessage) with its `ratchet_tree` extension's data
 * (`tree`'s encoding, or `undefined`: left as it is) replaced.
 */
function replaceTree(
  groupInfo: Uint8Array,
  tree: (data: Uint8Array) => Uint8Array | undefined,
): Uint8Array | undefined {
  const m = decode(mlsMessageCodec, groupInfo, "GroupInfo");
  if (!("groupInfo" in m)) return undefined;
  const exts = m.groupInfo.extensions;
  const i = exts.findIndex((e) =>
    e.extensionType === ExtensionType.ratchetTree
  );
  if (i < 0) return undefined;
  const data = tree(exts[i].extensionData);
  if (!data) return undefined;
  const extensions = exts.slice();
  extensions[i] = { ...exts[i], extensionData: data };
  return encode(mlsMessageCodec, {
    ...m,
    groupInfo: { ...m.groupInfo, extensions },
  });
}

/**
 * `groupInfo` with the data of its `ratchet_tree` extension left empty,
 * when that data is `state`'s tree and refilling it gives back the very
 * same bytes; else `undefined` (stored whole).
 */
function withoutTree(
  groupInfo: Uint8Array,
  state: GroupState,
): Uint8Array | undefined {
  const tree = encode(ratchetTreeCodec, state.tree.toNodes());
  const compact = replaceTree(
    groupInfo,
    (d) => bytesEqual(d, tree) ? new Uint8Array(0) : undefined,
  );
  if (!compact) return undefined;
  const back = replaceTree(compact, () => tree);
  return back && bytesEqual(back, groupInfo) ? compact : undefined;
}

/**
 * Reads a stored pending commit.
 *
 * @example
 * ```ts ignore
 * const pending = await readPendingCommit(bytes, env.provider, signer);
 * ```
 */
export async function readPendingCommit(
  bytes: Uint8Array,
  provider: CryptoProvider,
  signer: SignaturePrivateKey,
  current: GroupState,
): Promise<PendingCommit> {
  const record = pendingRecord.decode(bytes);
  // A format 3 state's tree is a delta against the tree of the epoch the
  // commit was made in: the current one.
  const base = record.epoch === current.context.epoch ? current : undefined;
  const state = await deserializeWhole(record.state, provider, signer, base);
  if (record.groupInfoTreeOmitted) {
    const tree = encode(ratchetTreeCodec, state.tree.toNodes());
    const groupInfo = replaceTree(record.groupInfo, () => tree);
    if (!groupInfo) {
      throw new MlsError(
        "invalid_value",
        "a pending GroupInfo without its ratchet_tree extension",
        "PendingRecord.groupInfo",
      );
    }
    record.groupInfo = groupInfo;
    delete record.groupInfoTreeOmitted;
  }
  return { record, state };
}
