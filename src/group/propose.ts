/**
 * Sending proposals (RFC 9420 §12.1) and application messages (§15) from
 * this member. A proposal is remembered in the returned state so that this
 * member's own next commit includes it by reference, like anyone else's.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { ContentType } from "../framing/content_type.ts";
import { SenderType } from "../framing/sender.ts";
import type { MLSMessage } from "../framing/mls_message.ts";
import { protectPrivate } from "../framing/private_protect.ts";
import { signFramedContent } from "../framing/sign.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import { WireFormat } from "../framing/wire_format.ts";
import type { Capabilities } from "../messages/capabilities.ts";
import type { Credential } from "../messages/credential.ts";
import type { Extension } from "../messages/extension.ts";
import { LeafNodeSource } from "../messages/leaf_node.ts";
import { type Proposal, ProposalType } from "../messages/proposal.ts";
import { signLeafNode } from "../tree/leaf_signature.ts";
import { toHex } from "../util/bytes.ts";
import { frame, handshakeWireFormat, ownContent } from "./framing.ts";
import { proposalRef } from "./proposals.ts";
import type { GroupState } from "./state.ts";
import {
  validationContext,
  type ValidationOptions,
} from "./validation/context.ts";
import { validateStandaloneProposal } from "./validation/proposal_list.ts";
import { requireActive } from "./validation/status.ts";

/** A sent proposal: the message, its reference and the state that remembers it. */
export interface SentOwnProposal {
  /** The proposal as an MLSMessage. */
  message: MLSMessage;
  /** Its ProposalRef (§5.2). */
  ref: Uint8Array;
  /** The state with the proposal pending. */
  state: GroupState;
}

/**
 * Sends `proposal` (§12.1), checked as receivers will check it (with
 * `options`' time, maximum lifetime and credential validator); `state` is
 * left unchanged.
 */
export async function propose(
  state: GroupState,
  proposal: Proposal,
  authenticatedData?: Uint8Array,
  options: ValidationOptions = {},
): Promise<SentOwnProposal> {
  requireActive(state);
  const cs = state.cs;
  const me = state.privateTree.leafIndex;
  const sender = { senderType: SenderType.member, leafIndex: me } as const;
  if (
    proposal.proposalType === ProposalType.remove && proposal.removed === me
  ) {
    throw new MlsError(
      "remove_committer",
      "a member cannot propose its own removal; ask another member",
      "proposal.removed",
    );
  }
  // Checked the way receivers check it.
  await validateStandaloneProposal(validationContext(state, options), {
    proposal,
    sender,
  });
  const signed = await signFramedContent(
    cs,
    ownContent(
      state,
      { contentType: ContentType.proposal, proposal },
      authenticatedData,
    ),
    {
      wireFormat: handshakeWireFormat(state),
      signatureKey: state.signer,
      groupContext: state.context,
    },
  );
  const [message, ref] = await Promise.all([
    frame(state, signed),
    proposalRef(cs, signed),
  ]);
  const proposals = new Map(state.proposals);
  proposals.set(toHex(ref), { proposal, sender, ref });
  return { message, ref, state: { ...state, proposals } };
}

/**
 * The state without any proposal of this epoch, received or sent (nor the
 * keys of this member's own Updates, which whoever swaps the state in
 * wipes): what a member does when it will not commit them, so that it may
 * send application data again (§12.4). A later commit that references one
 * of them is then refused (`unknown_proposal`). `state` is left unchanged.
 */
export function clearProposals(state: GroupState): GroupState {
  return { ...state, proposals: new Map(), updateKeys: new Map() };
}

/** Changes a member may make to its leaf in an Update (§12.1.2). */
export interface LeafUpdate {
  /** A new credential. */
  credential?: Credential;
  /** New capabilities. */
  capabilities?: Capabilities;
  /** New leaf extensions. */
  extensions?: Extension[];
}

/**
 * Proposes an Update of this member's leaf with a fresh encryption key
 * (§12.1.2). The new private key is kept until the Update is committed.
 */
export async function proposeUpdate(
  state: GroupState,
  changes: LeafUpdate = {},
  authenticatedData?: Uint8Array,
): Promise<SentOwnProposal> {
  requireActive(state);
  const cs = state.cs;
  const me = state.privateTree.leafIndex;
  const current = state.tree.getLeaf(me)!;
  const kp = await cs.hpkeGenerateKeyPair();
  const leafNode = await signLeafNode(cs, state.signer, {
    encryptionKey: kp.publicKey,
    signatureKey: current.signatureKey,
    credential: changes.credential ?? current.credential,
    capabilities: changes.capabilities ?? current.capabilities,
    extensions: changes.extensions ?? current.extensions,
    leafNodeSource: LeafNodeSource.update,
  }, { groupId: state.context.groupId, leafIndex: me });
  const sent = await propose(
    state,
    { proposalType: ProposalType.update, leafNode },
    authenticatedData,
  );
  const updateKeys = new Map(sent.state.updateKeys);
  updateKeys.set(toHex(sent.ref), kp.privateKey);
  return { ...sent, state: { ...sent.state, updateKeys } };
}

/**
 * Protects application data as a PrivateMessage (§15) with the next key of
 * this member's application ratchet.
 */
export async function sendApplication(
  state: GroupState,
  data: Uint8Array,
  authenticatedData?: Uint8Array,
): Promise<MLSMessage> {
  requireActive(state);
  // Signing and the ratchet step run concurrently (protectPrivate).
  const privateMessage = await protectPrivate(
    state.cs,
    ownContent(
      state,
      { contentType: ContentType.application, applicationData: data },
      authenticatedData,
    ),
    {
      secretTree: state.secretTree,
      senderDataSecret: state.keys.senderDataSecret,
      padding: state.config.padding,
      signatureKey: state.signer,
      groupContext: state.context,
    },
  );
  return {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsPrivateMessage,
    privateMessage,
  };
}
