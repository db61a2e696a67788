/**
 * Proposals (RFC 9420 §12.1): the seven proposal bodies, each with its own
 * codec (the `*_proposal` test vectors serialize bodies alone), and
 * `Proposal`, a flat union on `proposalType` whose arm fields are the body's
 * fields: `{ proposalType: ProposalType.remove, removed: 3 }`.
 *
 * @module
 */

import {
  type Codec,
  opaque,
  struct,
  uint16,
  uint32,
  variant,
} from "../codec/codec.ts";
import { type Extension, extensionsCodec } from "./extension.ts";
import { type KeyPackage, keyPackageCodec } from "./key_package.ts";
import { type LeafNode, leafNodeCodec } from "./leaf_node.ts";
import {
  type CipherSuite,
  cipherSuiteCodec,
  type ProtocolVersion,
  protocolVersionCodec,
} from "./protocol_version.ts";
import { ProposalType } from "./proposal_type.ts";
import { type PreSharedKeyID, preSharedKeyIDCodec } from "./psk.ts";

export { ProposalType };

/** `Add` (§12.1.1). */
export interface Add {
  /** `KeyPackage key_package` */
  keyPackage: KeyPackage;
}

/** `Add` */
export const addCodec: Codec<Add> = struct<Add>({
  keyPackage: keyPackageCodec,
});

/** `Update` (§12.1.2). */
export interface Update {
  /** `LeafNode leaf_node` (source `update`) */
  leafNode: LeafNode;
}

/** `Update` */
export const updateCodec: Codec<Update> = struct<Update>({
  leafNode: leafNodeCodec,
});

/** `Remove` (§12.1.3). */
export interface Remove {
  /** `uint32 removed`: the leaf index to remove */
  removed: number;
}

/** `Remove` */
export const removeCodec: Codec<Remove> = struct<Remove>({ removed: uint32 });

/** `PreSharedKey` (§12.1.4). */
export interface PreSharedKey {
  /** `PreSharedKeyID psk` */
  psk: PreSharedKeyID;
}

/** `PreSharedKey` */
export const preSharedKeyCodec: Codec<PreSharedKey> = struct<PreSharedKey>({
  psk: preSharedKeyIDCodec,
});

/** `ReInit` (§12.1.5). */
export interface ReInit {
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `ProtocolVersion version` */
  version: ProtocolVersion;
  /** `CipherSuite cipher_suite` */
  cipherSuite: CipherSuite;
  /** `Extension extensions<V>` */
  extensions: Extension[];
}

/** `ReInit` */
export const reInitCodec: Codec<ReInit> = struct<ReInit>({
  groupId: opaque,
  version: protocolVersionCodec,
  cipherSuite: cipherSuiteCodec,
  extensions: extensionsCodec,
});

/** `ExternalInit` (§12.1.6). */
export interface ExternalInit {
  /** `opaque kem_output<V>` */
  kemOutput: Uint8Array;
}

/** `ExternalInit` */
export const externalInitCodec: Codec<ExternalInit> = struct<ExternalInit>({
  kemOutput: opaque,
});

/** `GroupContextExtensions` (§12.1.7). */
export interface GroupContextExtensions {
  /** `Extension extensions<V>` */
  extensions: Extension[];
}

/** `GroupContextExtensions` */
export const groupContextExtensionsCodec: Codec<GroupContextExtensions> =
  struct<GroupContextExtensions>({ extensions: extensionsCodec });

/** An `add` proposal. */
export type AddProposal = { proposalType: typeof ProposalType.add } & Add;
/** An `update` proposal. */
export type UpdateProposal =
  & { proposalType: typeof ProposalType.update }
  & Update;
/** A `remove` proposal. */
export type RemoveProposal =
  & { proposalType: typeof ProposalType.remove }
  & Remove;
/** A `psk` proposal. */
export type PreSharedKeyProposal =
  & { proposalType: typeof ProposalType.psk }
  & PreSharedKey;
/** A `reinit` proposal. */
export type ReInitProposal =
  & { proposalType: typeof ProposalType.reinit }
  & ReInit;
/** An `external_init` proposal. */
export type ExternalInitProposal =
  & { proposalType: typeof ProposalType.externalInit }
  & ExternalInit;
/** A `group_context_extensions` proposal. */
export type GroupContextExtensionsProposal =
  & { proposalType: typeof ProposalType.groupContextExtensions }
  & GroupContextExtensions;

/** `Proposal` (§12.1): a union on `proposalType`. */
export type Proposal =
  | AddProposal
  | UpdateProposal
  | RemoveProposal
  | PreSharedKeyProposal
  | ReInitProposal
  | ExternalInitProposal
  | GroupContextExtensionsProposal;

/** `Proposal`; an unknown proposal type is `unknown_enum`. */
export const proposalCodec: Codec<Proposal> = variant<
  Proposal,
  "proposalType"
>("proposalType", uint16, {
  [ProposalType.add]: addCodec,
  [ProposalType.update]: updateCodec,
  [ProposalType.remove]: removeCodec,
  [ProposalType.psk]: preSharedKeyCodec,
  [ProposalType.reinit]: reInitCodec,
  [ProposalType.externalInit]: externalInitCodec,
  [ProposalType.groupContextExtensions]: groupContextExtensionsCodec,
});
