/**
 * The stored group state format: webmls's own binary layout (not an MLS
 * wire structure) of one member's {@link GroupState}, its versions and its
 * header. This is the one description of the layout; the other modules of
 * this folder encode it and point here:
 *
 * - `serialize.ts`: {@link GroupState} to bytes and back (header, version,
 *   the checks a loaded state passes, signature key by reference);
 * - `parts.ts`: the codecs of the state's fields;
 * - `tree.ts`: a ratchet tree stored relative to another (`TreeSegment`,
 *   `TreeBase`, `TreeDelta`) and the tree hashes kept with it;
 * - `secret_tree.ts`: a secret tree's state (`SecretTreeState`,
 *   `LeafRatchets`);
 * - `unique_map.ts`: the one codec of a map stored as a vector of entries.
 *
 * Where the Web API keeps these bytes (storage keys, and the records that
 * wrap a tree base, a tree delta, the secret trees) is in `api/records.ts`.
 *
 * ## Notation
 *
 * TLS presentation language as in RFC 9420 §2.1: `<V>` is a vector with a
 * variable-length (QUIC-style) length prefix, `optional<T>` is one octet 0
 * or 1 then `T`. `GroupContext`, `Node`, `Proposal`, `Sender` and `ReInit`
 * are the MLS structures in their wire form (RFC 9420 §8.1, §7.8, §12.1,
 * §6, §12.1.5); `optional<Node> tree<V>` is the `ratchet_tree` wire form
 * (§12.4.3.3).
 *
 * ## Header and versions
 *
 * ```text
 * struct {
 *   opaque magic[4] = "WMGS";                  // webmls group state
 *   uint16 version;
 *   select (version) {
 *     case 1: GroupStateBody;
 *     case 2: GroupStateBody; TreeHashes tree_hashes;
 *     case 3: GroupStateBodyV3;                // the tree stored apart
 *   };
 * } GroupState;
 * ```
 *
 * {@link GROUP_STATE_VERSION} (2) is written with the tree inside, version
 * 3 ({@link GROUP_STATE_TREE_APART_VERSION}) with the tree stored apart (the
 * Web API's records). Every version up to {@link MAX_GROUP_STATE_VERSION}
 * is read; a later one fails with `unsupported_state_version`, a wrong
 * magic with `invalid_state_format`. A later, incompatible layout gets a
 * new version number.
 *
 * ## Body
 *
 * ```text
 * struct {
 *   StoredSigner signer;                       // first: cheap to peek at
 *   GroupConfig config;
 *   GroupContext context;
 *   optional<Node> tree<V>;
 *   PrivateTree private_tree;
 *   EpochKeys keys;
 *   SecretTreeState secret_tree;
 *   opaque interim_transcript_hash<V>;
 *   opaque confirmation_tag<V>;
 *   PendingProposal proposals<V>;
 *   UpdateKey update_keys<V>;
 *   ResumptionPsk resumption_psks<V>;
 *   PastEpoch past<V>;                         // newest first
 *   uint8 status;                              // 1 active, 2 removed, 3 reinit
 *   optional<ReInit> reinit;
 * } GroupStateBody;
 *
 * struct {                                     // GroupStateBody, but:
 *   ...                                        // fields before `tree`
 *   TreeRef tree;                              // instead of the nodes
 *   ...                                        // fields after `tree`
 * } GroupStateBodyV3;                          // (and no tree_hashes)
 *
 * struct { uint8 kind; select (kind) {
 *   case 1: opaque private_key<V>;             // embedded raw key
 *   case 2: opaque ref<V>; } }                 // CryptoKey, or kept elsewhere
 *   StoredSigner;
 * struct { uint8 kind; uint32 value; } PaddingPolicy; // 1 length, 2 blockSize
 * struct {
 *   uint8 handshake_wire_format;               // 1 private, 2 public
 *   optional<PaddingPolicy> padding;
 *   uint32 max_past_epochs; uint32 max_forward_generation;
 *   uint32 max_skipped_keys; uint8 ratchet_tree_extension;
 *   uint8 external_pub; uint32 max_resumption_psks;
 * } GroupConfig;                               // booleans are 0 or 1
 * struct { uint32 node; opaque private_key<V>; opaque public_key<V>; }
 *   NodeKey;
 * struct { uint32 leaf_index; NodeKey keys<V>; } PrivateTree;
 * struct {
 *   opaque sender_data_secret<V>; opaque exporter_secret<V>;
 *   opaque external_secret<V>; opaque confirmation_key<V>;
 *   opaque membership_key<V>; opaque resumption_psk<V>;
 *   opaque epoch_authenticator<V>; opaque init_secret<V>;
 * } EpochKeys;
 * struct { opaque ref<V>; uint8 ref_set; Proposal proposal; Sender sender; }
 *   PendingProposal;                           // ref: the proposal reference
 * struct { opaque ref<V>; opaque private_key<V>; } UpdateKey;
 * struct { uint64 epoch; opaque psk<V>; } ResumptionPsk;
 * struct {
 *   GroupContext context;
 *   TreeSegment tree<V>;                       // relative to the next newer tree
 *   SecretTreeState secret_tree;
 *   opaque sender_data_secret<V>;
 * } PastEpoch;
 * ```
 *
 * ## Trees stored relative to another
 *
 * ```text
 * struct { uint8 kind; select (kind) {
 *   case 1: uint32 count;                      // copy `count` nodes of the base
 *   case 2: optional<Node> node; } }           // a node of its own
 *   TreeSegment;
 * struct { uint32 node; opaque hash<V>; } TreeHashEntry;
 * struct {
 *   uint8 min_level;                           // TREE_HASH_MIN_LEVEL
 *   TreeHashEntry entries<V>;
 * } TreeHashes;
 * struct {
 *   optional<Node> tree<V>;
 *   TreeHashEntry hashes<V>;                   // level >= TREE_HASH_MIN_LEVEL
 * } TreeBase;
 * struct {
 *   TreeSegment tree<V>;                       // relative to the previous tree
 *   TreeHashEntry hashes<V>;                   // entries new or changed since
 * } TreeDelta;
 * struct { uint8 kind; select (kind) {
 *   case 1: uint32 gen; uint32 seq;            // base record `gen` + deltas 1..seq
 *   case 2: TreeDelta delta; } }               // against a tree the loader gives
 *   TreeRef;
 * ```
 *
 * A tree as `TreeSegment segments<V>` rebuilds from a base tree: node
 * objects are immutable and shared between a tree and its clones, so the
 * positions a commit did not touch are copy runs, and a past epoch (or a
 * delta) costs bytes in proportion to what one commit changed, not to the
 * group size. A copy run is never empty, never follows another, and never
 * reaches past the base.
 *
 * The tree hashes kept with a tree are those of the nodes at level
 * {@link TREE_HASH_MIN_LEVEL} and above (one node in sixteen), so that the
 * first change after loading rehashes its path and small subtrees instead
 * of the whole tree (2n − 1 hashes); the root's must equal the context's
 * `tree_hash`. Applying a `TreeDelta` drops every kept hash of a node whose
 * subtree holds a changed position (a stored node, or one cut off by
 * truncation) before taking the delta's entries: a kept hash is always one
 * of an unchanged subtree.
 *
 * A version 3 state's `TreeRef` of kind 1 names the tree records stored
 * next to it (a commit then stores only what it changed in the tree, and the
 * state record no longer grows with the group); kind 2, used for a pending
 * commit's next epoch, is a delta against the current epoch's tree.
 *
 * ## Secret trees
 *
 * ```text
 * struct { uint32 generation; opaque key<V>; opaque nonce<V>; } SkippedKey;
 * struct { uint32 generation; opaque secret<V>; SkippedKey skipped<V>; }
 *   HashRatchet;
 * struct { uint32 node; opaque secret<V>; } NodeSecret;
 * struct { uint32 leaf; HashRatchet handshake; HashRatchet application; }
 *   LeafRatchetsEntry;
 * struct { HashRatchet handshake; HashRatchet application; } LeafRatchets;
 * struct {
 *   uint32 leaf_count;
 *   NodeSecret nodes<V>;
 *   LeafRatchetsEntry leaves<V>;
 * } SecretTreeState;
 * ```
 *
 * ## Canonical form
 *
 * The encoding of a state is unique, and decoding refuses what an encoder
 * would not write (`invalid_value` naming the field): a key twice in a map
 * (proposals, update keys, resumption PSKs, node secrets, leaves), private
 * tree nodes, skipped generations or tree hash entries out of ascending
 * order, a skipped generation at or past its ratchet's, indices outside
 * the tree, secrets that are not `Nh` bytes. Decoders never read past their
 * input nor accept trailing bytes, and fail only with an `MlsError` naming
 * the field. The format has no integrity check of its own (a flipped bit
 * inside a secret goes unnoticed): store it where the storage layer
 * provides one.
 *
 * @module
 */

import type { Reader } from "../../codec/reader.ts";
import type { Writer } from "../../codec/writer.ts";
import { MlsError } from "../../errors.ts";

/**
 * The format version written with the tree inside the record (see the
 * module notes).
 */
export const GROUP_STATE_VERSION = 2;

/** The format version written with the tree stored apart. */
export const GROUP_STATE_TREE_APART_VERSION = 3;

/** The highest format version read. */
export const MAX_GROUP_STATE_VERSION = 3;

/** The lowest tree level whose hashes a stored tree keeps. */
export const TREE_HASH_MIN_LEVEL = 4;

/** `"WMGS"`: webmls group state. */
const MAGIC = new Uint8Array([0x57, 0x4d, 0x47, 0x53]);

/** Writes the header: the magic and `version`. */
export function writeHeader(w: Writer, version: number): void {
  w.bytes(MAGIC);
  w.u16(version);
}

/**
 * Reads and checks the header.
 *
 * @returns the version, 1 to {@link MAX_GROUP_STATE_VERSION}
 * @throws MlsError `invalid_state_format` for another magic,
 *   `unsupported_state_version` for another version, `truncated`
 */
export function readHeader(r: Reader): number {
  const magic = r.bytes(MAGIC.length, "GroupState.magic");
  if (magic.some((b, i) => b !== MAGIC[i])) {
    throw new MlsError(
      "invalid_state_format",
      "not a webmls group state",
      "GroupState.magic",
    );
  }
  const version = r.u16("GroupState.version");
  if (version < 1 || version > MAX_GROUP_STATE_VERSION) {
    throw new MlsError(
      "unsupported_state_version",
      `group state format version ${version} is not supported`,
      "GroupState.version",
    );
  }
  return version;
}
