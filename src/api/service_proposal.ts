/**
 * Proposals from a service outside the group (RFC 9420 §12.1.8): a client
 * whose signature key the group lists in `external_senders` (set with
 * `GroupExtensions.externalSenders`), such as a delivery service or a
 * moderation bot, proposes to add or remove members; the members commit
 * them like any proposal. The service needs no group state, only the
 * group's current GroupInfo (for the group id, epoch, its index in the
 * list and, to name members by client id, the ratchet tree).
 *
 * @module
 */

import { decode, encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { mlsMessageCodec } from "../framing/mls_message.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { externalProposal } from "../group/external_proposal.ts";
import { ratchetTreeFromExtensions } from "../group/group_info.ts";
import { ExtensionType, findExtension } from "../messages/extension.ts";
import { externalSendersCodec } from "../messages/external_senders.ts";
import type { GroupInfo } from "../messages/group_info.ts";
import type { Proposal } from "../messages/proposal.ts";
import { ratchetTreeCodec } from "../messages/ratchet_tree.ts";
import { RatchetTree } from "../tree/ratchet_tree.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import {
  checkBytes,
  checkInteger,
  checkObject,
  checkOptions,
  invalid,
  optional,
} from "./args.ts";
import {
  decodeMessage,
  messageBytes,
  type MessageInput,
} from "./message_input.ts";
import {
  addProposal,
  type KeyPackageInput,
  removeProposal,
} from "./proposal_input.ts";

/**
 * What a service proposes: adding a member (its key package) or removing
 * one (by leaf index, or by client id when the GroupInfo carries the
 * ratchet tree or `options.ratchetTree` gives it).
 */
export type ServiceProposal =
  | { readonly add: KeyPackageInput }
  | { readonly remove: number | string };

/** The signer of a service's proposals: its key pair and suite. */
export interface ServiceSigner {
  /** The identity's suite. */
  cs: SuiteCrypto;
  /** Its signature public key. */
  publicKey: Uint8Array;
  /** Its signature private key. */
  privateKey: SignaturePrivateKey;
}

/** The index of `key` in the GroupInfo's `external_senders`. */
function senderIndex(gi: GroupInfo, key: Uint8Array): number {
  const ext = findExtension(
    gi.groupContext.extensions,
    ExtensionType.externalSenders,
  );
  const list = ext
    ? decode(externalSendersCodec, ext.extensionData, "external_senders")
    : [];
  const i = list.findIndex((s) => bytesEqual(s.signatureKey, key));
  if (i < 0) {
    throw new MlsError(
      "invalid_sender",
      "this identity is not in the group's external_senders (§12.1.8.1)",
      "identity",
    );
  }
  return i;
}

/** The leaf of `clientId` in the group's tree. */
function leafOf(gi: GroupInfo, clientId: string, given?: Uint8Array): number {
  const wire = given
    ? decode(ratchetTreeCodec, given, "options.ratchetTree")
    : ratchetTreeFromExtensions(gi.extensions);
  if (!wire) {
    invalid(
      "options.ratchetTree",
      "the ratchet tree (the GroupInfo carries none)",
      given,
    );
  }
  for (const [i, leaf] of RatchetTree.fromNodes(wire).leaves()) {
    if (toHex(leaf.signatureKey) === clientId.toLowerCase()) return i;
  }
  throw new MlsError(
    "unknown_member",
    "no member has this client id",
    "proposal.remove",
  );
}

function proposalOf(
  gi: GroupInfo,
  value: unknown,
  tree?: Uint8Array,
): Proposal {
  const o = checkObject(value, "proposal");
  if ("add" in o) return addProposal(o.add as KeyPackageInput, "proposal.add");
  if (typeof o.remove === "string") {
    return removeProposal(leafOf(gi, o.remove, tree));
  }
  if (typeof o.remove === "number") {
    return removeProposal(
      checkInteger(o.remove, "proposal.remove", 0, 0x7fffffff),
    );
  }
  return invalid("proposal", "{ add: keyPackage } or { remove: member }", o);
}

/**
 * The external proposal (a PublicMessage) of `signer` for the group of
 * `groupInfo`, at its epoch.
 *
 * @example
 * ```ts ignore
 * const bytes = await serviceProposal(signer, groupInfo, { remove: bobClientId });
 * ```
 */
export async function serviceProposal(
  signer: ServiceSigner,
  groupInfo: MessageInput,
  proposal: ServiceProposal,
  options: { ratchetTree?: Uint8Array } = {},
): Promise<Uint8Array> {
  const o = checkOptions(options);
  const tree = optional(o.ratchetTree, "options.ratchetTree", checkBytes);
  const gi = decodeMessage(
    messageBytes(groupInfo, "groupInfo", "groupInfo"),
    "groupInfo",
    [WireFormat.mlsGroupInfo],
  ).groupInfo;
  const ctx = gi.groupContext;
  if (ctx.cipherSuite !== signer.cs.id) {
    throw new MlsError(
      "cipher_suite_mismatch",
      "the identity's cipher suite is not the group's",
      "identity",
    );
  }
  const index = senderIndex(gi, signer.publicKey);
  const msg = await externalProposal(
    signer.cs,
    { groupId: ctx.groupId, epoch: ctx.epoch },
    index,
    signer.privateKey,
    proposalOf(gi, proposal, tree),
  );
  return encode(mlsMessageCodec, msg);
}
