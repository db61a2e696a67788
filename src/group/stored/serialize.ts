/**
 * A versioned binary format for one member's full {@link GroupState}, so
 * that an application can persist a group and load it back, in another
 * process or after a restart, into a state that behaves exactly like the
 * original: same keys, same pending proposals, same ratchet positions.
 *
 * ## Sensitivity
 *
 * The bytes hold every secret of the group as this member knows it: epoch
 * secrets, the secret tree's unused message keys, HPKE private keys and
 * (unless stored by reference, below) the signature private key. Treat
 * them exactly like the keys themselves: encrypt them at rest, never log
 * them, and delete old copies once a newer state is stored (keeping an old
 * state defeats forward secrecy, RFC 9420 §9.2, and reusing one reuses
 * message keys). Loading a state twice and using both copies reuses keys
 * too: keep one live copy per member and group.
 *
 * ## Signature keys
 *
 * `SignaturePrivateKey` is raw bytes or a `CryptoKey`. Raw bytes are
 * embedded. A `CryptoKey` (typically non-extractable, kept in IndexedDB
 * where its bytes never reach JavaScript) cannot be, so the format stores a
 * reference instead: pass `signerRef` (any bytes naming the key in the
 * application's own store; empty by default) when serializing, read it back
 * with {@link storedSignerRef}, and pass the key object as `signer` when
 * deserializing. Passing `signerRef` with a raw key stores it by reference
 * too, which keeps the signature key out of the state bytes.
 *
 * ```ts ignore
 * const bytes = serializeGroupState(state, { signerRef: keyId });
 * // ... later
 * const signer = await keyStore.get(storedSignerRef(bytes)!);
 * const state = await deserializeGroupState(bytes, provider, { signer });
 * ```
 *
 * ## Format
 *
 * The layout, its versions and the rules a loaded state must follow are in
 * `format.ts`. Without the `tree` option the tree is inside the bytes
 * (version 2); with it (the Web API's records) it is stored apart (version
 * 3). Malformed input fails with an {@link MlsError} naming the field,
 * never with another exception.
 *
 * @module
 */

import { Reader } from "../../codec/reader.ts";
import { Writer } from "../../codec/writer.ts";
import { MlsError } from "../../errors.ts";
import type { LeafNode } from "../../messages/leaf_node.ts";
import {
  SecretTree,
  type SecretTreeState,
} from "../../schedule/secret_tree.ts";
import type { PrivateTree } from "../../tree/private_tree.ts";
import { RatchetTree } from "../../tree/ratchet_tree.ts";
import { bytesEqual } from "../../util/bytes.ts";
import type {
  CryptoProvider,
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../../providers/provider.ts";
import type { GroupState, PastEpoch } from "../state.ts";
import {
  GROUP_STATE_TREE_APART_VERSION,
  GROUP_STATE_VERSION,
  readHeader,
  TREE_HASH_MIN_LEVEL,
  writeHeader,
} from "./format.ts";
import {
  groupStateCodec,
  groupStateV3Codec,
  type GroupStateWire,
  type GroupStateWireV3,
  type PastEpochWire,
  type StoredSigner,
  storedSignerCodec,
} from "./parts.ts";
import {
  applyTreeDelta,
  applyTreeSegments,
  diffTree,
  type StoredTree,
  treeDelta,
  treeHashesCodec,
  type TreeHashesWire,
} from "./tree.ts";

/** Options of {@link serializeGroupState}. */
export interface SerializeOptions {
  /**
   * Store the signature key by reference: these bytes (e.g. a key id in
   * the application's key store) are written instead of the key, and the
   * key must be passed to {@link deserializeGroupState}. Implied, with an
   * empty reference, when the key is a `CryptoKey`.
   */
  signerRef?: Uint8Array;
  /**
   * Store the tree outside the record (version 3): `ref`, a reference the
   * caller stores the tree under (its tree records, see `tree.ts`),
   * or `base`, a delta against a tree the loader will give back.
   */
  tree?: { ref: TreeRef } | { base: StoredTree };
}

/** Where a version 3 state's tree is stored: generation and sequence. */
export interface TreeRef {
  /** The generation of the base tree record. */
  gen: number;
  /** How many delta records apply on it. */
  seq: number;
}

/** Options of {@link deserializeGroupState}. */
export interface DeserializeOptions {
  /**
   * The signature private key, required when the state stores it by
   * reference (see {@link storedSignerRef}) and refused otherwise. When
   * the provider can tell the key's public half (raw keys, and
   * `CryptoKey`s it created or imported), it must be this member's leaf
   * signature key (`signer_mismatch`); a non-extractable key it has not
   * seen (one loaded from IndexedDB) is taken as given.
   */
  signer?: SignaturePrivateKey;
  /**
   * For a version 3 state: the tree stored under `ref`, or (no `ref`) the
   * base tree its delta was made against. Required by version 3.
   */
  tree?: (ref: TreeRef | undefined) => Promise<StoredTree> | StoredTree;
}

function storedSigner(
  signer: SignaturePrivateKey,
  signerRef: Uint8Array | undefined,
): StoredSigner {
  if (signerRef !== undefined) return { kind: 2, ref: signerRef };
  if (signer instanceof Uint8Array) return { kind: 1, privateKey: signer };
  return { kind: 2, ref: new Uint8Array(0) };
}

/** The stored form of `state` (shares `state`'s objects; do not mutate). */
function toWire(state: GroupState, options: SerializeOptions): GroupStateWire {
  let base = state.tree.toNodes();
  const past = state.past.map((p): PastEpochWire => {
    const nodes = p.tree.toNodes();
    const tree = diffTree(base, nodes);
    base = nodes;
    return {
      context: p.context,
      tree,
      secretTree: p.secretTree.state,
      senderDataSecret: p.senderDataSecret,
    };
  });
  return {
    signer: storedSigner(state.signer, options.signerRef),
    config: state.config,
    context: state.context,
    tree: state.tree.toNodes(),
    privateTree: state.privateTree,
    keys: state.keys,
    secretTree: state.secretTree.state,
    interimTranscriptHash: state.interimTranscriptHash,
    confirmationTag: state.confirmationTag,
    proposals: state.proposals,
    updateKeys: state.updateKeys,
    resumptionPsks: state.resumptionPsks,
    past,
    status: state.status,
    reinit: state.reinit,
  };
}

/**
 * Serializes a member's full group state (format in the module notes).
 * The result is as sensitive as the group's keys.
 *
 * Serialize when no operation on `state` is in flight: the secret trees
 * change as messages are sent and received, and the bytes capture them as
 * they are at this call.
 *
 * @param state the state to store
 * @param options `signerRef` stores the signature key by reference
 * @returns the bytes, starting with the magic `WMGS` and the version
 * @throws MlsError `invalid_argument` for a config limit that is not a
 *   uint32 or a malformed proposal key
 */
export function serializeGroupState(
  state: GroupState,
  options: SerializeOptions = {},
): Uint8Array {
  const w = new Writer(4096);
  const wire = toWire(state, options);
  if (options.tree) {
    writeHeader(w, GROUP_STATE_TREE_APART_VERSION);
    const t = options.tree;
    groupStateV3Codec.encode(w, {
      ...wire,
      tree: "ref" in t
        ? { kind: 1, ...t.ref }
        : { kind: 2, delta: treeDelta(state.cs, t.base, state.tree).delta },
    });
  } else {
    writeHeader(w, GROUP_STATE_VERSION);
    groupStateCodec.encode(w, wire);
    treeHashesCodec.encode(w, {
      minLevel: TREE_HASH_MIN_LEVEL,
      entries: state.tree.cachedHashes(state.cs, TREE_HASH_MIN_LEVEL).map((
        [node, hash],
      ) => ({ node, hash })),
    });
  }
  const view = w.finish();
  const out = view.slice();
  view.fill(0);
  return out;
}

/**
 * A reader positioned after a checked header; with `share`, decoded byte
 * fields are views of `bytes`, which the caller must own.
 */
function reader(
  bytes: Uint8Array,
  share = false,
): { r: Reader; version: number } {
  const r = new Reader(bytes, 0, bytes.length, share);
  return { r, version: readHeader(r) };
}

/**
 * Decodes the stored form (structure only, no crypto). One private copy of
 * the input backs every byte field (no allocation per field).
 */
function decodeWire(
  bytes: Uint8Array,
): {
  wire: GroupStateWire | GroupStateWireV3;
  version: number;
  hashes?: TreeHashesWire;
} {
  const { r, version } = reader(bytes.slice(), true);
  if (version === GROUP_STATE_TREE_APART_VERSION) {
    const wire = groupStateV3Codec.decode(r, "GroupState");
    r.end("GroupState");
    return { wire, version };
  }
  const wire = groupStateCodec.decode(r, "GroupState");
  const hashes = version >= 2
    ? treeHashesCodec.decode(r, "GroupState.treeHashes")
    : undefined;
  r.end("GroupState");
  return { wire, version, hashes };
}

/**
 * The reference a state stores its signature key under, or `undefined`
 * when the key is embedded. Reads only the header and the signer field.
 *
 * @param bytes output of {@link serializeGroupState}
 * @returns the `signerRef` given when serializing (empty if none was
 *   given for a `CryptoKey`), or `undefined`
 */
export function storedSignerRef(bytes: Uint8Array): Uint8Array | undefined {
  const s = storedSignerCodec.decode(
    reader(bytes).r,
    "GroupState.signer",
  );
  return s.kind === 2 ? s.ref : undefined;
}

/**
 * Loads a state written by {@link serializeGroupState}. The cipher suite's
 * crypto comes from `provider`; the state behaves like the one serialized.
 *
 * @param bytes the stored state
 * @param provider crypto provider serving the group's cipher suite
 * @param options `signer` for a state that stores its key by reference
 * @returns the state
 * @throws MlsError `unsupported_state_version`, `invalid_state_format`,
 *   `signer_required`, `signer_mismatch`, a decoding code (`truncated`,
 *   `trailing_bytes`, `invalid_value`, ...) with the failing field, or
 *   `unsupported_cipher_suite`
 */
export async function deserializeGroupState(
  bytes: Uint8Array,
  provider: CryptoProvider,
  options: DeserializeOptions = {},
): Promise<GroupState> {
  const decoded = decodeWire(bytes);
  let hashes = decoded.hashes;
  let wire: GroupStateWire;
  if (decoded.version === GROUP_STATE_TREE_APART_VERSION) {
    const v3 = decoded.wire as GroupStateWireV3;
    if (!options.tree) {
      throw new MlsError(
        "invalid_state_format",
        "this state stores its tree apart; load it through its storage",
        "GroupState.tree",
      );
    }
    const ref = v3.tree.kind === 1
      ? { gen: v3.tree.gen, seq: v3.tree.seq }
      : undefined;
    let t = await options.tree(ref);
    if (v3.tree.kind === 2) {
      t = applyTreeDelta(t, v3.tree.delta, "GroupState.tree");
    }
    wire = { ...v3, tree: t.nodes };
    hashes = {
      minLevel: TREE_HASH_MIN_LEVEL,
      entries: [...t.hashes].sort((a, b) => a[0] - b[0]).map((
        [node, hash],
      ) => ({ node, hash })),
    };
  } else wire = decoded.wire as GroupStateWire;
  const cs = await provider.suite(wire.context.cipherSuite);
  const state = await build(cs, wire, options.signer);
  if (hashes) seedTreeHashes(cs, state, hashes);
  return state;
}

/**
 * Puts stored tree hashes into the loaded tree's cache, after checking them
 * against what can be checked: their sizes, their nodes, and the root's
 * against the group context's `tree_hash`.
 */
function seedTreeHashes(
  cs: SuiteCrypto,
  state: GroupState,
  hashes: TreeHashesWire,
): void {
  const tree = state.tree;
  const field = "treeHashes";
  let prev = -1;
  const n = cs.digestLength ?? cs.hashLength;
  for (const { node, hash } of hashes.entries) {
    if (hash.length !== n) {
      throw invalid(`expected ${n} bytes`, `${field}[${node}]`);
    }
    if (node <= prev || node >= tree.nodeWidth) {
      throw invalid("node out of order or outside the tree", field);
    }
    prev = node;
    if (node === tree.root && !bytesEqual(hash, state.context.treeHash)) {
      throw invalid("root hash differs from the context's tree_hash", field);
    }
  }
  tree.seedHashes(cs, hashes.entries.map((e) => [e.node, e.hash] as const));
}

/** Prefixes the field of an {@link MlsError} thrown by `f`. */
function within<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof MlsError ? e.within(field) : e;
  }
}

function invalid(message: string, field: string): MlsError {
  return new MlsError("invalid_value", message, `GroupState.${field}`);
}

/**
 * Checks that every secret that is a KDF output has `Nh` bytes, and every
 * hash or MAC output the hash's length (the same but in ts-mls's suites 77
 * to 80).
 */
function checkLengths(cs: SuiteCrypto, wire: GroupStateWire): void {
  const n = cs.hashLength;
  const d = cs.digestLength ?? n;
  const check = (b: Uint8Array, field: string, length = n) => {
    if (b.length !== length) throw invalid(`expected ${length} bytes`, field);
  };
  for (const [k, v] of Object.entries(wire.keys)) check(v, `keys.${k}`);
  check(wire.interimTranscriptHash, "interimTranscriptHash", d);
  check(wire.confirmationTag, "confirmationTag", d);
  for (const [e, psk] of wire.resumptionPsks) {
    check(psk, `resumptionPsks[${e}]`);
  }
  wire.past.forEach((p, i) =>
    check(p.senderDataSecret, `past[${i}].senderDataSecret`)
  );
}

/** Checks that the private keys and secret tree fit the public tree. */
function checkShape(
  tree: RatchetTree,
  priv: PrivateTree,
  secretTree: SecretTreeState,
  field: string,
): void {
  if (secretTree.leafCount !== tree.leafCount) {
    throw invalid("secret tree and tree sizes differ", `${field}secretTree`);
  }
  if (!priv.nodes().every((x) => x < tree.nodeWidth)) {
    throw invalid(
      "private key for a node outside the tree",
      "privateTree.keys",
    );
  }
  if (priv.leafIndex >= tree.leafCount) {
    throw invalid("leaf outside the tree", "privateTree.leafIndex");
  }
}

/** The signature key, checked against this member's leaf when given. */
async function resolveSigner(
  cs: SuiteCrypto,
  stored: StoredSigner,
  given: SignaturePrivateKey | undefined,
  leaf: LeafNode | undefined,
): Promise<SignaturePrivateKey> {
  if (stored.kind === 1) {
    if (given !== undefined) {
      throw new MlsError(
        "invalid_argument",
        "this state embeds its signature key; pass no signer",
        "signer",
      );
    }
    return stored.privateKey;
  }
  if (given === undefined) {
    throw new MlsError(
      "signer_required",
      "this state stores its signature key by reference; pass the key",
      "GroupState.signer",
    );
  }
  if (!leaf) return given;
  let pub: Uint8Array;
  try {
    pub = await cs.signaturePublicKey(given);
  } catch (e) {
    // A non-extractable key whose public half the provider has not seen
    // (one loaded from IndexedDB, say) cannot be checked.
    if (e instanceof MlsError) return given;
    throw e;
  }
  if (!bytesEqual(pub, leaf.signatureKey)) {
    throw new MlsError(
      "signer_mismatch",
      "the signature key is not this member's",
      "signer",
    );
  }
  return given;
}

/** Rebuilds the state from its stored form. */
async function build(
  cs: SuiteCrypto,
  wire: GroupStateWire,
  signer: SignaturePrivateKey | undefined,
): Promise<GroupState> {
  checkLengths(cs, wire);
  const config = wire.config;
  const tree = within(
    "GroupState.tree",
    () => RatchetTree.fromNodes(wire.tree),
  );
  checkShape(tree, wire.privateTree, wire.secretTree, "");
  let base = wire.tree;
  const past = wire.past.map((p, i): PastEpoch => {
    const field = `GroupState.past[${i}].tree`;
    const nodes = applyTreeSegments(base, p.tree, field);
    base = nodes;
    const pastTree = within(field, () => RatchetTree.fromNodes(nodes));
    if (p.secretTree.leafCount !== pastTree.leafCount) {
      throw invalid("secret tree and tree sizes differ", `past[${i}]`);
    }
    return {
      context: p.context,
      tree: pastTree,
      secretTree: SecretTree.fromState(cs, p.secretTree, config),
      senderDataSecret: p.senderDataSecret,
    };
  });
  const state: GroupState = {
    cs,
    config,
    context: wire.context,
    tree,
    privateTree: wire.privateTree,
    signer: await resolveSigner(
      cs,
      wire.signer,
      signer,
      tree.getLeaf(wire.privateTree.leafIndex),
    ),
    keys: wire.keys,
    secretTree: SecretTree.fromState(cs, wire.secretTree, config),
    interimTranscriptHash: wire.interimTranscriptHash,
    confirmationTag: wire.confirmationTag,
    proposals: wire.proposals,
    updateKeys: wire.updateKeys,
    resumptionPsks: wire.resumptionPsks,
    past,
    status: wire.status,
  };
  return wire.reinit ? { ...state, reinit: wire.reinit } : state;
}
