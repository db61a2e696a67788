/**
 * The codecs of the fields of a stored {@link GroupState} and of its body
 * (layout in `format.ts`; `serialize.ts` adds the header and rebuilds the
 * state). Built from the TLS-presentation-language combinators, reusing the
 * MLS codecs for the public parts (GroupContext, Node, Proposal, Sender,
 * ReInit), the tree and secret-tree codecs of this folder.
 *
 * @module
 */

import {
  type Codec,
  enumeration,
  map,
  opaque,
  optional,
  struct,
  uint32,
  uint64,
  uint8,
  variant,
  vector,
} from "../../codec/codec.ts";
import { MlsError } from "../../errors.ts";
import type { PaddingPolicy } from "../../framing/private_content.ts";
import { type Sender, senderCodec } from "../../framing/sender.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../../messages/group_context.ts";
import {
  type Proposal,
  proposalCodec,
  type ReInit,
  reInitCodec,
} from "../../messages/proposal.ts";
import {
  type RatchetTree as WireTree,
  ratchetTreeCodec,
} from "../../messages/ratchet_tree.ts";
import type { SecretTreeState } from "../../schedule/secret_tree.ts";
import { secretTreeStateCodec } from "./secret_tree.ts";
import { PrivateTree } from "../../tree/private_tree.ts";
import { fromHex, toHex, wipe } from "../../util/bytes.ts";
import type { GroupConfig } from "../config.ts";
import type { PendingProposal } from "../proposals.ts";
import type { EpochKeys, GroupStatus } from "../state.ts";
import {
  treeDeltaCodec,
  type TreeDeltaWire,
  type TreeSegment,
  treeSegmentsCodec,
} from "./tree.ts";
import { uniqueMap } from "./unique_map.ts";

/** `uint32` that refuses, on encoding, a value that is not one. */
const checkedUint32: Codec<number> = {
  encode: (w, v) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new MlsError(
        "invalid_argument",
        "not storable as a uint32 (a config limit must be an integer < 2^32)",
      );
    }
    uint32.encode(w, v);
  },
  decode: (r, f) => uint32.decode(r, f),
};

/** A boolean as one octet, 0 or 1; any other octet is `unknown_enum`. */
const bool: Codec<boolean> = map(
  enumeration(uint8, [0, 1]),
  (v) => v === 1,
  (b) => b ? 1 : 0,
);

/** How the signature private key is stored. */
export type StoredSigner =
  | { kind: 1; privateKey: Uint8Array }
  | { kind: 2; ref: Uint8Array };

/** `StoredSigner`: embedded raw key (1) or a reference to one (2). */
export const storedSignerCodec: Codec<StoredSigner> = variant<
  StoredSigner,
  "kind"
>("kind", uint8, {
  1: struct({ privateKey: opaque }),
  2: struct({ ref: opaque }),
});

type PaddingWire = { kind: 1; value: number } | { kind: 2; value: number };

const paddingCodec: Codec<PaddingPolicy> = map(
  variant<PaddingWire, "kind">("kind", uint8, {
    1: struct({ value: checkedUint32 }),
    2: struct({ value: checkedUint32 }),
  }),
  (w): PaddingPolicy =>
    w.kind === 1 ? { length: w.value } : { blockSize: w.value },
  (p): PaddingWire =>
    "length" in p
      ? { kind: 1, value: p.length }
      : { kind: 2, value: p.blockSize },
);

const wireFormatSetting: Codec<GroupConfig["handshakeWireFormat"]> = map(
  enumeration(uint8, [1, 2]),
  (v) => v === 1 ? "private" : "public",
  (s) => s === "private" ? 1 : 2,
);

/** {@link GroupConfig}, every field; `padding` is left out when unset. */
export const groupConfigCodec: Codec<GroupConfig> = map(
  struct<GroupConfig>({
    handshakeWireFormat: wireFormatSetting,
    padding: optional(paddingCodec),
    maxPastEpochs: checkedUint32,
    maxForwardGeneration: checkedUint32,
    maxSkippedKeys: checkedUint32,
    ratchetTreeExtension: bool,
    externalPub: bool,
    maxResumptionPsks: checkedUint32,
  }),
  ({ padding, ...rest }) => padding ? { ...rest, padding } : rest,
  (c) => c,
);

/** {@link EpochKeys}: the eight secrets, in declaration order. */
export const epochKeysCodec: Codec<EpochKeys> = struct<EpochKeys>({
  senderDataSecret: opaque,
  exporterSecret: opaque,
  externalSecret: opaque,
  confirmationKey: opaque,
  membershipKey: opaque,
  resumptionPsk: opaque,
  epochAuthenticator: opaque,
  initSecret: opaque,
});

interface NodeKeyWire {
  node: number;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

interface PrivateTreeWire {
  leafIndex: number;
  keys: NodeKeyWire[];
}

/**
 * {@link PrivateTree}: the leaf index and every node key pair, nodes in
 * strictly ascending order. Whether the indices fit the public tree is
 * checked by the caller, which knows the tree.
 */
export const privateTreeCodec: Codec<PrivateTree> = map(
  struct<PrivateTreeWire>({
    leafIndex: uint32,
    keys: vector(
      struct<NodeKeyWire>({
        node: uint32,
        privateKey: opaque,
        publicKey: opaque,
      }),
    ),
  }),
  (w) => {
    const priv = new PrivateTree(w.leafIndex);
    let last = -1;
    for (const k of w.keys) {
      if (k.node <= last) {
        throw new MlsError(
          "invalid_value",
          "private tree nodes out of order",
          "GroupState.privateTree.keys",
        );
      }
      last = k.node;
      priv.set(k.node, k.privateKey, k.publicKey);
      wipe(k.privateKey);
    }
    return priv;
  },
  (p) => ({
    leafIndex: p.leafIndex,
    keys: p.nodes().map((node) => ({
      node,
      privateKey: p.privateKey(node)!,
      publicKey: p.publicKey(node)!,
    })),
  }),
);

/** The bytes of a hex map key; refuses keys that would not round-trip. */
function keyBytes(key: string): Uint8Array {
  const b = fromHex(key);
  if (toHex(b) !== key) {
    throw new MlsError("invalid_argument", "map key is not lower-case hex");
  }
  return b;
}

interface PendingWire {
  ref: Uint8Array;
  refSet: boolean;
  proposal: Proposal;
  sender: Sender;
}

/**
 * `state.proposals`: keyed by the hex of `ref`, which is stored once; a
 * proposal whose `ref` field is set must carry its own key there.
 */
export const pendingProposalsCodec: Codec<
  ReadonlyMap<string, PendingProposal>
> = uniqueMap(
  struct<PendingWire>({
    ref: opaque,
    refSet: bool,
    proposal: proposalCodec,
    sender: senderCodec,
  }),
  (p): [string, PendingProposal] => [
    toHex(p.ref),
    p.refSet
      ? { proposal: p.proposal, sender: p.sender, ref: p.ref }
      : { proposal: p.proposal, sender: p.sender },
  ],
  (key, p) => {
    const ref = keyBytes(key);
    if (p.ref && toHex(p.ref) !== key) {
      throw new MlsError(
        "invalid_argument",
        "a pending proposal is filed under another reference",
      );
    }
    return {
      ref,
      refSet: p.ref !== undefined,
      proposal: p.proposal,
      sender: p.sender,
    };
  },
);

interface UpdateKeyWire {
  ref: Uint8Array;
  privateKey: Uint8Array;
}

/** `state.updateKeys`: hex proposal reference → HPKE private key. */
export const updateKeysCodec: Codec<ReadonlyMap<string, Uint8Array>> =
  uniqueMap(
    struct<UpdateKeyWire>({ ref: opaque, privateKey: opaque }),
    (k) => [toHex(k.ref), k.privateKey],
    (key, privateKey) => ({ ref: keyBytes(key), privateKey }),
  );

interface ResumptionPskWire {
  epoch: bigint;
  psk: Uint8Array;
}

/** `state.resumptionPsks`: epoch → resumption PSK, in map order. */
export const resumptionPsksCodec: Codec<ReadonlyMap<bigint, Uint8Array>> =
  uniqueMap(
    struct<ResumptionPskWire>({ epoch: uint64, psk: opaque }),
    (p) => [p.epoch, p.psk],
    (epoch, psk) => ({ epoch, psk }),
  );

const STATUS: readonly GroupStatus[] = ["active", "removed", "reinit"];

/** {@link GroupStatus} as uint8: 1 active, 2 removed, 3 reinit. */
export const statusCodec: Codec<GroupStatus> = map(
  enumeration(uint8, [1, 2, 3]),
  (v) => STATUS[v - 1],
  (s) => {
    const i = STATUS.indexOf(s);
    if (i < 0) throw new MlsError("unknown_enum", `unknown status ${s}`);
    return i + 1;
  },
);

/** A past epoch as stored. */
export interface PastEpochWire {
  /** Its group context. */
  context: GroupContext;
  /** Its tree, relative to the next newer tree. */
  tree: TreeSegment[];
  /** Its secret tree. */
  secretTree: SecretTreeState;
  /** Its `sender_data_secret`. */
  senderDataSecret: Uint8Array;
}

/** A `GroupStateBody` as decoded, before the state is rebuilt. */
export interface GroupStateWire {
  /** The signature key, or a reference to it. */
  signer: StoredSigner;
  /** Settings. */
  config: GroupConfig;
  /** Current group context. */
  context: GroupContext;
  /** Current tree, wire form. */
  tree: WireTree;
  /** Private TreeKEM keys. */
  privateTree: PrivateTree;
  /** Epoch secrets. */
  keys: EpochKeys;
  /** Current secret tree. */
  secretTree: SecretTreeState;
  /** `interim_transcript_hash`. */
  interimTranscriptHash: Uint8Array;
  /** Last `confirmation_tag`. */
  confirmationTag: Uint8Array;
  /** Pending proposals. */
  proposals: ReadonlyMap<string, PendingProposal>;
  /** Keys of own pending Updates. */
  updateKeys: ReadonlyMap<string, Uint8Array>;
  /** Resumption PSKs by epoch. */
  resumptionPsks: ReadonlyMap<bigint, Uint8Array>;
  /** Past epochs, newest first. */
  past: PastEpochWire[];
  /** Status. */
  status: GroupStatus;
  /** The ReInit, if any. */
  reinit: ReInit | undefined;
}

const pastEpochCodec: Codec<PastEpochWire> = struct<PastEpochWire>({
  context: groupContextCodec,
  tree: treeSegmentsCodec,
  secretTree: secretTreeStateCodec,
  senderDataSecret: opaque,
});

const stateFields = {
  signer: storedSignerCodec,
  config: groupConfigCodec,
  context: groupContextCodec,
  tree: ratchetTreeCodec,
  privateTree: privateTreeCodec,
  keys: epochKeysCodec,
  secretTree: secretTreeStateCodec,
  interimTranscriptHash: opaque,
  confirmationTag: opaque,
  proposals: pendingProposalsCodec,
  updateKeys: updateKeysCodec,
  resumptionPsks: resumptionPsksCodec,
  past: vector(pastEpochCodec),
  status: statusCodec,
  reinit: optional(reInitCodec),
};

/** `GroupStateBody` (versions 1 and 2). */
export const groupStateCodec: Codec<GroupStateWire> = struct<GroupStateWire>(
  stateFields,
);

/** `TreeRef`: where a version 3 state's tree is. */
export type TreeRefWire =
  | { kind: 1; gen: number; seq: number }
  | { kind: 2; delta: TreeDeltaWire };

/** `TreeRef`. */
export const treeRefCodec: Codec<TreeRefWire> = variant<TreeRefWire, "kind">(
  "kind",
  uint8,
  {
    1: struct({ gen: uint32, seq: uint32 }),
    2: struct({ delta: treeDeltaCodec }),
  },
);

/** A version 3 {@link GroupStateWire}: the tree by reference. */
export type GroupStateWireV3 = Omit<GroupStateWire, "tree"> & {
  tree: TreeRefWire;
};

/** `GroupStateBodyV3`. */
export const groupStateV3Codec: Codec<GroupStateWireV3> = struct<
  GroupStateWireV3
>({ ...stateFields, tree: treeRefCodec });
