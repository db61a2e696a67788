/**
 * The public-state checks of a group post, after `checkPost` (RFC 9420
 * §6, §12.4): what the service verifies depends on what it can read.
 *
 * - External commits, from anyone: always verified (`external_commit.ts`);
 *   the group must offer `external_pub` in its current GroupInfo.
 * - In a group whose handshakes must be public: PrivateMessage proposals
 *   and commits are refused; PublicMessage proposals are verified and
 *   kept, commits verified (`member_handshake.ts`), and the posted
 *   GroupInfo must be the state the commit leads to.
 * - Otherwise a member's handshake goes through unread and its GroupInfo is
 *   taken on its word; a commit no one can process is then repaired by the
 *   members (resync by external commit, `server/client/recovery.ts`).
 *
 * Application data is a PrivateMessage in every group (§6).
 *
 * @module
 */

import { decode } from "../../src/codec/codec.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { keyPackageRef } from "../../src/group/key_package.ts";
import type { ProposalWithSender } from "../../src/group/proposals.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import type { CryptoProvider } from "../../providers/provider.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { AcceptRequest, DeliveryStore } from "../store/store.ts";
import type { NextPublicState } from "./commit_verify.ts";
import { verifyExternalCommit } from "./external_commit.ts";
import { checkGroupInfoMatches } from "./group_info_match.ts";
import { type Parsed, welcomeRefs } from "./inspect.ts";
import {
  type ProposalLookup,
  verifyMemberCommit,
  verifyMemberProposal,
} from "./member_handshake.ts";
import { loadPublicState, type PublicState } from "./public_state.ts";

/** What the checks need besides the post. */
export interface VerifyContext {
  /** The store (public state, kept proposals). */
  readonly store: DeliveryStore;
  /** The crypto provider that verifies signatures and hashes refs. */
  readonly provider: CryptoProvider;
  /** The authenticated poster. */
  readonly poster: string;
  /** The group's effective handshake policy. */
  readonly handshakes: "public" | "any";
  /** The time, for key-package lifetimes. */
  readonly now: Date;
}

/**
 * Verifies a checked post against the group's public state; returns what
 * the store must keep with it (a proposal's ref).
 */
export async function verifyPost(
  parts: readonly Parsed[],
  req: AcceptRequest,
  ctx: VerifyContext,
): Promise<Pick<AcceptRequest, "proposalRef">> {
  const first = parts[0].msg;
  const pub = first.wireFormat === WireFormat.mlsPublicMessage
    ? first.publicMessage
    : undefined;
  if (req.kind === "application") {
    if (pub) {
      throw badRequest(
        "unexpected_message",
        "application data travels as a PrivateMessage",
      );
    }
    return {};
  }
  if (!pub) {
    if (ctx.handshakes === "public") {
      throw badRequest(
        "public_handshake_required",
        "this group's proposals and commits must be PublicMessages",
      );
    }
    return {};
  }
  // A PublicMessage handshake in a group that allows private ones is not
  // verified: its references may name proposals the service cannot read.
  if (!req.external && ctx.handshakes !== "public") return {};
  const state = await loadPublicState(ctx.store, ctx.provider, req.groupId);
  if (!state) throw new ApiError(404, "unknown_group", "no such group");
  if (state.epoch !== req.epoch) {
    throw new ApiError(
      409,
      "epoch_conflict",
      `the group is at epoch ${state.epoch}`,
      { epoch: state.epoch },
    );
  }
  if (req.kind === "proposal") {
    return {
      proposalRef: await verifyMemberProposal(state, pub, ctx.poster),
    };
  }
  const next = await verifyHandshakeCommit(state, pub, req, ctx);
  const gi = parts.find((p) => p.msg.wireFormat === WireFormat.mlsGroupInfo)!
    .msg;
  if (gi.wireFormat !== WireFormat.mlsGroupInfo) throw new Error("unreachable");
  checkGroupInfoMatches(gi.groupInfo, next);
  await checkWelcome(state, parts, next);
  return {};
}

async function verifyHandshakeCommit(
  state: PublicState,
  pub: PublicMessage,
  req: AcceptRequest,
  ctx: VerifyContext,
): Promise<NextPublicState> {
  if (!req.external) {
    const lookup: ProposalLookup = async (ref) => {
      const bytes = await ctx.store.getProposal(req.groupId, req.epoch, ref);
      if (!bytes) return undefined;
      const m = decode(mlsMessageCodec, bytes, "proposal");
      const c = m.wireFormat === WireFormat.mlsPublicMessage
        ? m.publicMessage.content
        : undefined;
      if (c?.contentType !== ContentType.proposal) {
        throw new Error("a kept proposal is not a PublicMessage proposal");
      }
      const found: ProposalWithSender = {
        proposal: c.proposal,
        sender: c.sender,
        ref: fromHex(ref),
      };
      return found;
    };
    return await verifyMemberCommit(state, pub, ctx.poster, lookup, ctx.now);
  }
  if (!state.externalPub) {
    throw new ApiError(
      403,
      "external_joins_disabled",
      "the group's GroupInfo offers no external_pub",
    );
  }
  return await verifyExternalCommit(state, pub, ctx.poster, ctx.now);
}

/** A verified commit's Welcome is for the key packages it adds, only. */
async function checkWelcome(
  state: PublicState,
  parts: readonly Parsed[],
  next: NextPublicState,
): Promise<void> {
  const w = parts.find((p) => p.msg.wireFormat === WireFormat.mlsWelcome)
    ?.msg;
  if (!w || w.wireFormat !== WireFormat.mlsWelcome) return;
  const added = new Set(
    await Promise.all(
      next.added.map(async (kp) => toHex(await keyPackageRef(state.cs, kp))),
    ),
  );
  if (welcomeRefs(w.welcome).some((r) => !added.has(r))) {
    throw badRequest(
      "welcome_mismatch",
      "the Welcome is for a key package the commit does not add",
    );
  }
}
