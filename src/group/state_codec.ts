/**
 * Codecs of the parts of a stored {@link GroupState} (webmls's own layout,
 * not an MLS wire structure; `serialize.ts` assembles them). Built from the
 * TLS-presentation-language combinators, reusing the MLS codecs for the
 * public parts (GroupContext, Node, Proposal, Sender, ReInit) and the
 * secret-tree storage codec:
 *
 * ```text
 * struct { uint8 kind; select (kind) {
 *   case 1: opaque private_key<V>;     // embedded raw key
 *   case 2: opaque ref<V>; } }        // CryptoKey or key kept elsewhere
 *   StoredSigner;
 * struct { uint8 kind; uint32 value; } PaddingPolicy; // 1 length, 2 blockSize
 * struct { uint8 handshake_wire_format; optional<PaddingPolicy> padding;
 *   uint32 max_past_epochs; uint32 max_forward_generation;
 *   uint32 max_skipped_keys; uint8 ratchet_tree_extension;
 *   uint8 external_pub; uint32 max_resumption_psks; } GroupConfig;
 * struct { uint32 node; opaque private_key<V>; opaque public_key<V>; }
 *   NodeKey;
 * struct { uint32 leaf_index; NodeKey keys<V>; } PrivateTree;
 * struct { opaque sender_data_secret<V>; ... opaque init_secret<V>; }
 *   EpochKeys;                         // the 8 secrets, in EpochKeys order
 * struct { opaque ref<V>; uint8 ref_set; Proposal proposal; Sender sender; }
 *   PendingProposal;
 * struct { opaque ref<V>; opaque private_key<V>; } UpdateKey;
 * struct { uint64 epoch; opaque psk<V>; } ResumptionPsk;
 * struct { uint8 kind; select (kind) {
 *   case 1: uint32 count;              // copy `count` nodes from the base
 *   case 2: optional<Node> node; } }  // a node of its own
 *   TreeSegment;
 * ```
 *
 * A past epoch's tree is stored as `TreeSegment segments<V>` relative to
 * the next newer tree (the current tree for the newest past epoch): node
 * objects are immutable and shared between a tree and its clones, so the
 * nodes a commit did not touch are copied by reference, and a past epoch
 * costs bytes in proportion to what the commit changed, not to the group
 * size.
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
} from "../codec/codec.ts";
import { MlsError } from "../errors.ts";
import type { PaddingPolicy } from "../framing/private_content.ts";
import { type Sender, senderCodec } from "../framing/sender.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../messages/group_context.ts";
import {
  type Proposal,
  proposalCodec,
  type ReInit,
  reInitCodec,
} from "../messages/proposal.ts";
import {
  type Node,
  nodeCodec,
  type RatchetTree as WireTree,
  ratchetTreeCodec,
} from "../messages/ratchet_tree.ts";
import type { SecretTreeState } from "../schedule/secret_tree.ts";
import { secretTreeStateCodec } from "../schedule/secret_tree_codec.ts";
import { PrivateTree } from "../tree/private_tree.ts";
import { fromHex, toHex, wipe } from "../util/bytes.ts";
import type { GroupConfig } from "./config.ts";
import type { PendingProposal } from "./proposals.ts";
import type { EpochKeys, GroupStatus } from "./state.ts";

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

/** A key seen twice (a canonical encoding has none). */
function duplicate(field: string): MlsError {
  return new MlsError("invalid_value", "duplicate key", field);
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
> = map(
  vector(
    struct<PendingWire>({
      ref: opaque,
      refSet: bool,
      proposal: proposalCodec,
      sender: senderCodec,
    }),
  ),
  (list) => {
    const out = new Map<string, PendingProposal>();
    for (const p of list) {
      const key = toHex(p.ref);
      if (out.has(key)) throw duplicate("GroupState.proposals");
      out.set(
        key,
        p.refSet
          ? { proposal: p.proposal, sender: p.sender, ref: p.ref }
          : { proposal: p.proposal, sender: p.sender },
      );
    }
    return out;
  },
  (m) =>
    Array.from(m, ([key, p]) => {
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
    }),
);

interface UpdateKeyWire {
  ref: Uint8Array;
  privateKey: Uint8Array;
}

/** `state.updateKeys`: hex proposal reference → HPKE private key. */
export const updateKeysCodec: Codec<ReadonlyMap<string, Uint8Array>> = map(
  vector(struct<UpdateKeyWire>({ ref: opaque, privateKey: opaque })),
  (list) => {
    const out = new Map<string, Uint8Array>();
    for (const k of list) {
      const key = toHex(k.ref);
      if (out.has(key)) throw duplicate("GroupState.updateKeys");
      out.set(key, k.privateKey);
    }
    return out;
  },
  (m) =>
    Array.from(m, ([key, privateKey]) => ({ ref: keyBytes(key), privateKey })),
);

interface ResumptionPskWire {
  epoch: bigint;
  psk: Uint8Array;
}

/** `state.resumptionPsks`: epoch → resumption PSK, in map order. */
export const resumptionPsksCodec: Codec<ReadonlyMap<bigint, Uint8Array>> = map(
  vector(struct<ResumptionPskWire>({ epoch: uint64, psk: opaque })),
  (list) => {
    const out = new Map<bigint, Uint8Array>();
    for (const p of list) {
      if (out.has(p.epoch)) throw duplicate("GroupState.resumptionPsks");
      out.set(p.epoch, p.psk);
    }
    return out;
  },
  (m) => Array.from(m, ([epoch, psk]) => ({ epoch, psk })),
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

/** One run of a tree stored relative to a base tree. */
export type TreeSegment =
  | { kind: 1; count: number }
  | { kind: 2; node: Node | undefined };

/** `TreeSegment segments<V>`. */
export const treeSegmentsCodec: Codec<TreeSegment[]> = vector(
  variant<TreeSegment, "kind">("kind", uint8, {
    1: struct({ count: uint32 }),
    2: struct({ node: optional(nodeCodec) }),
  }),
);

/**
 * `tree` as segments relative to `base`: positions whose node is the very
 * same object (or blank in both) are copied; others are stored.
 */
export function diffTree(base: WireTree, tree: WireTree): TreeSegment[] {
  const out: TreeSegment[] = [];
  let run = 0;
  for (let x = 0; x < tree.length; x++) {
    if (x < base.length && tree[x] === base[x]) {
      run++;
      continue;
    }
    if (run > 0) out.push({ kind: 1, count: run });
    run = 0;
    out.push({ kind: 2, node: tree[x] });
  }
  if (run > 0) out.push({ kind: 1, count: run });
  return out;
}

/**
 * Rebuilds a tree from `base` and its segments (the inverse of
 * {@link diffTree}): copied nodes are `base`'s own objects, so the result
 * diffs against `base` to the same segments again.
 *
 * @throws MlsError `invalid_value` for an empty or split copy run, or one
 *   reaching past the end of `base`
 */
export function applyTreeSegments(
  base: WireTree,
  segments: readonly TreeSegment[],
  field: string,
): WireTree {
  const out: WireTree = [];
  let copying = false;
  for (const s of segments) {
    if (s.kind === 2) {
      out.push(s.node);
      copying = false;
      continue;
    }
    if (s.count === 0 || copying || out.length + s.count > base.length) {
      throw new MlsError("invalid_value", "bad copy run", field);
    }
    for (let i = 0; i < s.count; i++) out.push(base[out.length]);
    copying = true;
  }
  return out;
}

/** A stored tree hash. */
export interface HashEntry {
  /** Node index. */
  node: number;
  /** Its tree hash. */
  hash: Uint8Array;
}

const hashEntriesCodec: Codec<HashEntry[]> = vector(
  struct<HashEntry>({ node: uint32, hash: opaque }),
);

/** A base tree record's body (`TreeBase`, layout in `stored_tree.ts`). */
export interface TreeBaseWire {
  /** The nodes. */
  tree: WireTree;
  /** The hashes, in node order. */
  hashes: HashEntry[];
}

/** `TreeBase`. */
export const treeBaseCodec: Codec<TreeBaseWire> = struct<TreeBaseWire>({
  tree: ratchetTreeCodec,
  hashes: hashEntriesCodec,
});

/** A tree delta's body (`TreeDelta`, layout in `stored_tree.ts`). */
export interface TreeDeltaWire {
  /** The tree relative to the previous one. */
  tree: TreeSegment[];
  /** Hash entries new or changed. */
  hashes: HashEntry[];
}

/** `TreeDelta`. */
export const treeDeltaCodec: Codec<TreeDeltaWire> = struct<TreeDeltaWire>({
  tree: treeSegmentsCodec,
  hashes: hashEntriesCodec,
});

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

/** A {@link GroupState} as stored (version 1), before it is rebuilt. */
export interface GroupStateWire {
  /** The signature key, or a reference to it. */
  signer: StoredSigner;
  /** This member's settings for the group. */
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
  /** Whether the group is active, we were removed, or it was reinitialized. */
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

/** `GroupState` after the header, versions 1 and 2 (layout in `serialize.ts`). */
export const groupStateCodec: Codec<GroupStateWire> = struct<GroupStateWire>(
  stateFields,
);

/** Where a version 3 state's tree is (layout in `serialize.ts`). */
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

/** `GroupState` after the header, version 3. */
export const groupStateV3Codec: Codec<GroupStateWireV3> = struct<
  GroupStateWireV3
>({ ...stateFields, tree: treeRefCodec });

/**
 * Tree hashes kept with a stored state (version 2): the cached hashes of the
 * nodes at `minLevel` and above.
 */
export interface TreeHashesWire {
  /** The lowest level stored. */
  minLevel: number;
  /** Node index and tree hash, in node order. */
  entries: { node: number; hash: Uint8Array }[];
}

/** `TreeHashes` (layout in `serialize.ts`). */
export const treeHashesCodec: Codec<TreeHashesWire> = struct<TreeHashesWire>({
  minLevel: uint8,
  entries: vector(struct({ node: uint32, hash: opaque })),
});
