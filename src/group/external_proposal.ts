/**
 * Proposals from outside the group (RFC 9420 §12.1.8): from a sender listed
 * in the group's `external_senders` extension (e.g. the delivery service
 * proposing to remove an inactive member), or from a client asking to join
 * (`new_member_proposal`, an Add of its own key package). Both travel as
 * PublicMessages without a membership tag.
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import { ContentType } from "../framing/content_type.ts";
import type { MLSMessage } from "../framing/mls_message.ts";
import { protectPublic } from "../framing/public_protect.ts";
import { SenderType } from "../framing/sender.ts";
import { WireFormat } from "../framing/wire_format.ts";
import { type Extension, ExtensionType } from "../messages/extension.ts";
import {
  type ExternalSender,
  externalSendersCodec,
} from "../messages/external_senders.ts";
import type { KeyPackage } from "../messages/key_package.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { checkExternalProposalType } from "./validation/proposal.ts";

/** An `external_senders` group context extension (§12.1.8.1). */
export function externalSendersExtension(
  senders: readonly ExternalSender[],
): Extension {
  return {
    extensionType: ExtensionType.externalSenders,
    extensionData: encode(externalSendersCodec, [...senders]),
  };
}

/** Where an external proposal is addressed. */
export interface ExternalProposalTarget {
  /** The group id. */
  groupId: Uint8Array;
  /** The group's current epoch. */
  epoch: bigint;
}

/**
 * A proposal from the external sender at `senderIndex` of the group's
 * `external_senders` list, signed with its key. Only add, remove, psk,
 * reinit and group_context_extensions may be sent this way.
 */
export async function externalProposal(
  cs: SuiteCrypto,
  target: ExternalProposalTarget,
  senderIndex: number,
  signer: SignaturePrivateKey,
  proposal: Proposal,
  authenticatedData: Uint8Array = new Uint8Array(0),
): Promise<MLSMessage> {
  const sender = { senderType: SenderType.external, senderIndex } as const;
  checkExternalProposalType(proposal, sender);
  const publicMessage = await protectPublic(cs, {
    groupId: target.groupId,
    epoch: target.epoch,
    sender,
    authenticatedData,
    contentType: ContentType.proposal,
    proposal,
  }, { signatureKey: signer });
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsPublicMessage,
    publicMessage,
  };
}

/**
 * A client's request to join (§12.1.8, `new_member_proposal`): an Add of
 * its own key package, signed with the key package's signature key.
 */
export async function newMemberProposal(
  cs: SuiteCrypto,
  target: ExternalProposalTarget,
  keyPackage: KeyPackage,
  signer: SignaturePrivateKey,
): Promise<MLSMessage> {
  if (keyPackage.cipherSuite !== cs.id) {
    throw new MlsError("cipher_suite_mismatch", "key package suite differs");
  }
  const publicMessage = await protectPublic(cs, {
    groupId: target.groupId,
    epoch: target.epoch,
    sender: { senderType: SenderType.newMemberProposal },
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.proposal,
    proposal: { proposalType: ProposalType.add, keyPackage },
  }, { signatureKey: signer });
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsPublicMessage,
    publicMessage,
  };
}
