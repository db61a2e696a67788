/**
 * `Commit` and `ProposalOrRef` (RFC 9420 §12.4).
 *
 * @module
 */

import {
  type Codec,
  opaque,
  optional,
  struct,
  uint8,
  variant,
  vector,
} from "../codec/codec.ts";
import { type Proposal, proposalCodec } from "./proposal.ts";
import { type UpdatePath, updatePathCodec } from "./update_path.ts";

/** `ProposalOrRefType` (§12.4). */
export const ProposalOrRefType = { proposal: 1, reference: 2 } as const;
/** A known ProposalOrRef type value. */
export type ProposalOrRefType =
  typeof ProposalOrRefType[keyof typeof ProposalOrRefType];

/** A proposal carried inline in a commit. */
export interface ProposalOrRefProposal {
  /** `proposal` */
  type: typeof ProposalOrRefType.proposal;
  /** `Proposal proposal` */
  proposal: Proposal;
}

/** A proposal carried by reference (§5.2). */
export interface ProposalOrRefReference {
  /** `reference` */
  type: typeof ProposalOrRefType.reference;
  /** `ProposalRef reference`: `opaque HashReference<V>` */
  reference: Uint8Array;
}

/** `ProposalOrRef` (§12.4): a union on `type`. */
export type ProposalOrRef = ProposalOrRefProposal | ProposalOrRefReference;

/** `ProposalOrRef`; an unknown type is `unknown_enum`. */
export const proposalOrRefCodec: Codec<ProposalOrRef> = variant<
  ProposalOrRef,
  "type"
>("type", uint8, {
  [ProposalOrRefType.proposal]: struct({ proposal: proposalCodec }),
  [ProposalOrRefType.reference]: struct({ reference: opaque }),
});

/** `Commit` (§12.4). */
export interface Commit {
  /** `ProposalOrRef proposals<V>` */
  proposals: ProposalOrRef[];
  /** `optional<UpdatePath> path` */
  path: UpdatePath | undefined;
}

/** `Commit` */
export const commitCodec: Codec<Commit> = struct<Commit>({
  proposals: vector(proposalOrRefCodec),
  path: optional(updatePathCodec),
});
