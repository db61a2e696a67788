/**
 * `FramedContent`, `FramedContentAuthData` and `FramedContentTBS` (RFC 9420
 * §6, §6.1).
 *
 * `FramedContent` is flat: the header fields, then `contentType` with its
 * arm's field (`applicationData`, `proposal` or `commit`). The structures
 * whose shape depends on a field outside them (`FramedContentAuthData` on the
 * content type) have codec factories taking that field.
 *
 * @module
 */

import {
  type Arms,
  type Codec,
  merge,
  opaque,
  opaqueView,
  struct,
  uint64,
  uint8,
  variant,
} from "../codec/codec.ts";
import type { Reader } from "../codec/reader.ts";
import type { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import { type Commit, commitCodec } from "../messages/commit.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../messages/group_context.ts";
import { type Proposal, proposalCodec } from "../messages/proposal.ts";
import {
  type ProtocolVersion,
  protocolVersionCodec,
} from "../messages/protocol_version.ts";
import { ContentType } from "./content_type.ts";
import { type Sender, senderCodec, SenderType } from "./sender.ts";
import { type WireFormat, wireFormatCodec } from "./wire_format.ts";

/** Application data. */
export interface ApplicationContent {
  /** `application` */
  contentType: typeof ContentType.application;
  /** `opaque application_data<V>` */
  applicationData: Uint8Array;
}

/** A proposal. */
export interface ProposalContent {
  /** `proposal` */
  contentType: typeof ContentType.proposal;
  /** `Proposal proposal` */
  proposal: Proposal;
}

/** A commit. */
export interface CommitContent {
  /** `commit` */
  contentType: typeof ContentType.commit;
  /** `Commit commit` */
  commit: Commit;
}

/**
 * The `select (content_type)` part of `FramedContent` and
 * `PrivateMessageContent`: a union on `contentType`.
 */
export type FramedContentBody =
  | ApplicationContent
  | ProposalContent
  | CommitContent;

/**
 * The arms of `select (content_type)`, shared with PrivateMessageContent.
 * Application data is decoded as a view of the decoder's input (for a
 * PrivateMessage, the decrypted plaintext): a message of 1 MiB is not
 * copied once more.
 */
export const framedContentBodyArms: Arms<FramedContentBody, "contentType"> = {
  [ContentType.application]: struct({ applicationData: opaqueView }),
  [ContentType.proposal]: struct({ proposal: proposalCodec }),
  [ContentType.commit]: struct({ commit: commitCodec }),
};

/** `content_type` and the content it selects. */
export const framedContentBodyCodec: Codec<FramedContentBody> = variant<
  FramedContentBody,
  "contentType"
>("contentType", uint8, framedContentBodyArms);

/** The fields of `FramedContent` before the content type. */
export interface FramedContentHeader {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `Sender sender` */
  sender: Sender;
  /** `opaque authenticated_data<V>` */
  authenticatedData: Uint8Array;
}

/** `FramedContent` (§6). */
export type FramedContent = FramedContentHeader & FramedContentBody;

/** `FramedContent` */
export const framedContentCodec: Codec<FramedContent> = merge(
  struct<FramedContentHeader>({
    groupId: opaque,
    epoch: uint64,
    sender: senderCodec,
    authenticatedData: opaque,
  }),
  framedContentBodyCodec,
);

/** `FramedContentAuthData` (§6.1). */
export interface FramedContentAuthData {
  /** `SignWithLabel(., "FramedContentTBS", FramedContentTBS)` */
  signature: Uint8Array;
  /** `MAC confirmation_tag`: present exactly when the content is a commit */
  confirmationTag?: Uint8Array;
}

/**
 * `FramedContentAuthData` for content of type `contentType`: the
 * confirmation tag is on the wire only for commits. Encoding a commit's auth
 * data without a tag is `invalid_value`.
 */
export function framedContentAuthDataCodec(
  contentType: ContentType,
): Codec<FramedContentAuthData> {
  const isCommit = contentType === ContentType.commit;
  return {
    encode(w: Writer, v: FramedContentAuthData): void {
      opaque.encode(w, v.signature);
      if (!isCommit) return;
      if (v.confirmationTag === undefined) {
        throw new MlsError(
          "invalid_value",
          "a commit needs a confirmation tag",
          "FramedContentAuthData.confirmationTag",
        );
      }
      opaque.encode(w, v.confirmationTag);
    },
    decode(r: Reader, f: string): FramedContentAuthData {
      const signature = opaque.decode(r, `${f}.signature`);
      if (!isCommit) return { signature };
      return {
        signature,
        confirmationTag: opaque.decode(r, `${f}.confirmationTag`),
      };
    },
  };
}

/**
 * True when a FramedContentTBS (and a PublicMessage's membership tag) for
 * this sender involves the GroupContext: members and new-member commits.
 */
export function senderHasGroupContext(sender: Sender): boolean {
  return sender.senderType === SenderType.member ||
    sender.senderType === SenderType.newMemberCommit;
}

/** `FramedContentTBS` (§6.1): what a framed content's signature covers. */
export interface FramedContentTBS {
  /** `ProtocolVersion version = mls10` */
  version: ProtocolVersion;
  /** `WireFormat wire_format` */
  wireFormat: WireFormat;
  /** `FramedContent content` */
  content: FramedContent;
  /**
   * `GroupContext context`: present exactly when the sender is `member` or
   * `new_member_commit` (see {@link senderHasGroupContext}).
   */
  context?: GroupContext;
}

/** `FramedContentTBS`; a missing required context is `invalid_value`. */
export const framedContentTBSCodec: Codec<FramedContentTBS> = {
  encode(w: Writer, v: FramedContentTBS): void {
    protocolVersionCodec.encode(w, v.version);
    wireFormatCodec.encode(w, v.wireFormat);
    framedContentCodec.encode(w, v.content);
    if (!senderHasGroupContext(v.content.sender)) return;
    if (v.context === undefined) {
      throw new MlsError(
        "invalid_value",
        "this sender type signs over the GroupContext",
        "FramedContentTBS.context",
      );
    }
    groupContextCodec.encode(w, v.context);
  },
  decode(r: Reader, f: string): FramedContentTBS {
    const out: FramedContentTBS = {
      version: protocolVersionCodec.decode(r, `${f}.version`),
      wireFormat: wireFormatCodec.decode(r, `${f}.wireFormat`),
      content: framedContentCodec.decode(r, `${f}.content`),
    };
    if (senderHasGroupContext(out.content.sender)) {
      out.context = groupContextCodec.decode(r, `${f}.context`);
    }
    return out;
  },
};
