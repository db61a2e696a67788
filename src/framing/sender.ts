/**
 * `Sender` and `SenderType` (RFC 9420 §6). Like every union in webmls, the
 * selector is the discriminant (`senderType`) and the arm's field sits beside
 * it: `{ senderType: SenderType.member, leafIndex: 2 }`.
 *
 * @module
 */

import {
  type Codec,
  empty,
  enumeration,
  struct,
  uint32,
  uint8,
  variant,
} from "../codec/codec.ts";

/** `SenderType` (§6). */
export const SenderType = {
  member: 1,
  external: 2,
  newMemberProposal: 3,
  newMemberCommit: 4,
} as const;
/** A known sender type value. */
export type SenderType = typeof SenderType[keyof typeof SenderType];

/** `SenderType` as a closed uint8 enum. */
export const senderTypeCodec: Codec<SenderType> = enumeration(
  uint8,
  Object.values(SenderType),
);

/** A group member, by leaf index. */
export interface MemberSender {
  /** `member` */
  senderType: typeof SenderType.member;
  /** `uint32 leaf_index` */
  leafIndex: number;
}

/** An external sender, by index into the `external_senders` extension. */
export interface ExternalSenderRef {
  /** `external` */
  senderType: typeof SenderType.external;
  /** `uint32 sender_index` */
  senderIndex: number;
}

/** A non-member proposing to join (§12.1.8). */
export interface NewMemberProposalSender {
  /** `new_member_proposal` */
  senderType: typeof SenderType.newMemberProposal;
}

/** A non-member joining by external commit (§12.4.3.2). */
export interface NewMemberCommitSender {
  /** `new_member_commit` */
  senderType: typeof SenderType.newMemberCommit;
}

/** `Sender` (§6): a union on `senderType`. */
export type Sender =
  | MemberSender
  | ExternalSenderRef
  | NewMemberProposalSender
  | NewMemberCommitSender;

/** `Sender`; an unknown sender type is `unknown_enum`. */
export const senderCodec: Codec<Sender> = variant<Sender, "senderType">(
  "senderType",
  uint8,
  {
    [SenderType.member]: struct({ leafIndex: uint32 }),
    [SenderType.external]: struct({ senderIndex: uint32 }),
    [SenderType.newMemberProposal]: empty,
    [SenderType.newMemberCommit]: empty,
  },
);
