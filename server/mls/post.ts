/**
 * Checking a post to a group before it reaches the store: the body is one
 * group message (PublicMessage or PrivateMessage), or a commit bundle — the
 * commit, optionally its Welcome, then the GroupInfo of the new epoch.
 *
 * Membership follows commits through that GroupInfo: it must carry the
 * ratchet tree, verify under the committer's leaf, belong to the next
 * epoch, and be signed by the poster. The new members are its leaves. A
 * PrivateMessage commit is opaque to the service; the signed GroupInfo
 * published with it is what the service routes by (members verify the
 * same GroupInfo's confirmation tag when they join from it).
 *
 * @module
 */

import type { PrivateMessage } from "../../src/framing/private_message.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { toHex } from "../../src/util/bytes.ts";
import type { CryptoProvider } from "../../providers/provider.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { AcceptRequest, DeliveryStore } from "../store/store.ts";
import { inspectGroupInfo, type Parsed, welcomeRefs } from "./inspect.ts";

/** What the post checks need. */
export interface PostContext {
  /** The group named by the URL, hex. */
  readonly groupId: string;
  /** The authenticated poster. */
  readonly poster: string;
  /** For GroupInfo verification. */
  readonly provider: CryptoProvider;
  /** Accepted cipher suites. */
  readonly suites: readonly number[];
  /** For KeyPackageRef owners. */
  readonly store: DeliveryStore;
}

const KINDS = {
  [ContentType.application]: "application",
  [ContentType.proposal]: "proposal",
  [ContentType.commit]: "commit",
} as const;

function safeEpoch(e: bigint): number {
  if (e > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw badRequest("malformed_message", "epoch out of range");
  }
  return Number(e);
}

function header(p: Parsed): {
  groupId: string;
  epoch: number;
  kind: AcceptRequest["kind"];
  pub?: PublicMessage;
} {
  const m = p.msg;
  if (m.wireFormat === WireFormat.mlsPublicMessage) {
    const c = m.publicMessage.content;
    return {
      groupId: toHex(c.groupId),
      epoch: safeEpoch(c.epoch),
      kind: KINDS[c.contentType],
      pub: m.publicMessage,
    };
  }
  if (m.wireFormat === WireFormat.mlsPrivateMessage) {
    const c: PrivateMessage = m.privateMessage;
    return {
      groupId: toHex(c.groupId),
      epoch: safeEpoch(c.epoch),
      kind: KINDS[c.contentType],
    };
  }
  throw badRequest(
    "unexpected_message",
    "a group post starts with a PublicMessage or PrivateMessage",
  );
}

/** Checks a post and turns it into an {@link AcceptRequest}. */
export async function checkPost(
  parts: Parsed[],
  ctx: PostContext,
): Promise<AcceptRequest> {
  const h = header(parts[0]);
  if (h.groupId !== ctx.groupId) {
    throw badRequest("group_mismatch", "the message is for another group");
  }
  const base = {
    groupId: ctx.groupId,
    poster: ctx.poster,
    epoch: h.epoch,
    message: parts[0].bytes,
  };
  const sender = h.pub?.content.sender;
  if (h.kind !== "commit") {
    if (parts.length > 1) {
      throw badRequest("unexpected_message", "only commits come in bundles");
    }
    if (sender && sender.senderType !== SenderType.member) {
      throw new ApiError(403, "forbidden", "only members post here");
    }
    return { ...base, kind: h.kind };
  }
  const rest = parts.slice(1);
  const welcomes = rest.filter((p) =>
    p.msg.wireFormat === WireFormat.mlsWelcome
  );
  const infos = rest.filter((p) =>
    p.msg.wireFormat === WireFormat.mlsGroupInfo
  );
  if (
    welcomes.length > 1 || infos.length !== 1 ||
    welcomes.length + 1 !== rest.length
  ) {
    throw badRequest(
      "unexpected_message",
      "a commit bundle is: commit, optional Welcome, GroupInfo of the new epoch",
    );
  }
  const giMsg = infos[0].msg;
  if (giMsg.wireFormat !== WireFormat.mlsGroupInfo) {
    throw new Error("unreachable");
  }
  const gi = await inspectGroupInfo(giMsg.groupInfo, ctx.provider, ctx.suites);
  if (gi.groupId !== ctx.groupId || gi.epoch !== h.epoch + 1) {
    throw badRequest(
      "group_mismatch",
      "the GroupInfo must be of this group's next epoch",
    );
  }
  if (gi.signer !== ctx.poster || !gi.members.includes(ctx.poster)) {
    throw new ApiError(
      403,
      "signer_mismatch",
      "the GroupInfo must be signed by the poster",
    );
  }
  const external = sender?.senderType === SenderType.newMemberCommit;
  if (
    sender && !external &&
    (sender.senderType !== SenderType.member ||
      sender.leafIndex !== gi.signerLeaf)
  ) {
    throw new ApiError(
      403,
      "signer_mismatch",
      "the commit's sender is not the GroupInfo's signer",
    );
  }
  let welcome: AcceptRequest["welcome"];
  if (welcomes.length === 1) {
    const w = welcomes[0].msg;
    if (w.wireFormat !== WireFormat.mlsWelcome) throw new Error("unreachable");
    const owners = await ctx.store.keyPackageOwners(welcomeRefs(w.welcome));
    if (owners.some((o) => o === null)) {
      throw badRequest(
        "unknown_key_package",
        "the Welcome names a key package this service does not know",
      );
    }
    const recipients = owners as string[];
    if (recipients.some((r) => !gi.members.includes(r))) {
      throw badRequest(
        "welcome_mismatch",
        "a Welcome recipient is not in the new tree",
      );
    }
    welcome = { bytes: welcomes[0].bytes, recipients };
  }
  return {
    ...base,
    kind: "commit",
    nextMembers: gi.members,
    groupInfo: infos[0].bytes,
    welcome,
    external,
  };
}

/** Whether a message is an external commit (a PublicMessage from a new member). */
export function isExternalCommit(p: Parsed): boolean {
  return p.msg.wireFormat === WireFormat.mlsPublicMessage &&
    p.msg.publicMessage.content.sender.senderType ===
      SenderType.newMemberCommit;
}
