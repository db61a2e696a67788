/**
 * A group's public state (RFC 9420 §8.1, §8.2, §12.4.3.2): its
 * GroupContext, ratchet tree, the confirmation tag of the commit that
 * started the epoch (with the context's confirmed_transcript_hash it gives
 * the interim transcript hash the next commit chains from), and whether
 * the epoch's GroupInfo offers `external_pub`.
 *
 * The service keeps it in the group's latest accepted GroupInfo, which
 * carries exactly these fields (the tree in its `ratchet_tree` extension).
 * Every GroupInfo it stores is checked first: at creation the whole tree is
 * validated; a verified commit's GroupInfo must equal the state the commit
 * leads to; a republished GroupInfo must keep the context and tag; so the
 * stored GroupInfo is the public state, and it moves with the epoch in the
 * same atomic store operation. Only a PrivateMessage commit (unreadable)
 * takes its GroupInfo on the committing member's word.
 *
 * @module
 */

import { decode, encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import {
  externalPubFromExtensions,
  ratchetTreeFromExtensions,
} from "../../src/group/group_info.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../../src/messages/group_context.ts";
import { verifiedGroupTree } from "../../src/group/group_tree.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import { interimTranscriptHash } from "../../src/framing/transcript_hash.ts";
import { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import type { CryptoProvider, SuiteCrypto } from "../../providers/provider.ts";
import { badRequest } from "../errors.ts";
import type { DeliveryStore } from "../store/store.ts";

/** The public state of one epoch. */
export interface PublicState {
  /** The group's suite. */
  readonly cs: SuiteCrypto;
  /** The GroupContext of the epoch. */
  readonly context: GroupContext;
  /** Its encoding (what member and new-member signatures cover, §6.1). */
  readonly contextBytes: Uint8Array;
  /** The ratchet tree of the epoch. */
  readonly tree: RatchetTree;
  /** The confirmation tag of the commit that started the epoch. */
  readonly confirmationTag: Uint8Array;
  /** Whether the epoch's GroupInfo carries `external_pub`. */
  readonly externalPub: boolean;
  /** The epoch, as the store counts it. */
  readonly epoch: number;
}

/**
 * The public state a verified GroupInfo describes (it must carry the
 * ratchet tree: every stored one does).
 */
export async function publicStateOf(
  provider: CryptoProvider,
  gi: GroupInfo,
): Promise<PublicState> {
  const nodes = ratchetTreeFromExtensions(gi.extensions);
  if (!nodes) throw new Error("a stored GroupInfo without its ratchet tree");
  return {
    cs: await provider.suite(gi.groupContext.cipherSuite),
    context: gi.groupContext,
    contextBytes: encode(groupContextCodec, gi.groupContext),
    tree: RatchetTree.fromNodes(nodes),
    confirmationTag: gi.confirmationTag,
    externalPub: externalPubFromExtensions(gi.extensions) !== undefined,
    epoch: Number(gi.groupContext.epoch),
  };
}

/** The group's current public state, from its stored GroupInfo. */
export async function loadPublicState(
  store: DeliveryStore,
  provider: CryptoProvider,
  groupId: string,
): Promise<PublicState | null> {
  const stored = await store.getGroupInfo(groupId);
  if (!stored) return null;
  const msg = decode(mlsMessageCodec, stored.bytes, "GroupInfo");
  if (msg.wireFormat !== WireFormat.mlsGroupInfo) {
    throw new Error("the stored GroupInfo is not a GroupInfo");
  }
  return await publicStateOf(provider, msg.groupInfo);
}

/**
 * `interim_transcript_hash` of the epoch (§8.2): `Hash(confirmed || tag)`,
 * the input of the next commit's confirmed transcript hash.
 */
export function interimHash(state: PublicState): Promise<Uint8Array> {
  return interimTranscriptHash(
    state.cs,
    state.context.confirmedTranscriptHash,
    state.confirmationTag,
  );
}

/**
 * Validates a new group's GroupInfo as the group's first public state, as
 * a joiner would (§12.4.3.1): signature, tree hash, and the whole tree
 * (leaf signatures, parent hashes, keys used once, capabilities). Throws
 * `400 invalid_group_info`.
 */
export async function validateFirstState(
  provider: CryptoProvider,
  gi: GroupInfo,
  now: Date,
): Promise<void> {
  try {
    const cs = await provider.suite(gi.groupContext.cipherSuite);
    await verifiedGroupTree(cs, gi, undefined, { now });
  } catch (e) {
    if (e instanceof MlsError) {
      throw badRequest("invalid_group_info", `${e.code}: ${e.message}`);
    }
    throw e;
  }
}
