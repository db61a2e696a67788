/**
 * The records the Web API keeps in {@link Storage}: every storage key, how
 * it is built and parsed, which client it belongs to, and the binary
 * encoding of every record kind. This module is the one place they are
 * described; `persist.ts` decides when each is written and read. Every
 * encoded record starts with a format version so that its layout can
 * evolve, and every decoder refuses truncated input and trailing bytes
 * with an `MlsError` naming the field.
 *
 * Group and client ids are lower-case hex, so a prefix such as
 * `ratchets/<groupId>/<clientId>/` holds nothing but that member's records.
 * Layouts use the TLS presentation language of RFC 9420 §2.1; the group
 * state's own structures (`GroupState`, `SecretTreeState`, `LeafRatchets`,
 * `TreeBase`, `TreeDelta`) are in `group/stored/format.ts`.
 *
 * ## Keys
 *
 * - `identity/<clientId>`: {@link IdentityRecord},
 *   `struct { uint8 version = 1; uint16 cipher_suite;
 *   opaque signature_public_key<V>; }`.
 * - `signer/<clientId>`: the signature private key, stored as is (bytes, or
 *   a `CryptoKey` where the storage keeps key objects).
 * - `keypackage/<clientId>/<ref>`: {@link KeyPackageRecord},
 *   `struct { uint8 version = 1; opaque key_package<V>;
 *   opaque init_private_key<V>; opaque encryption_private_key<V>;
 *   uint8 last_resort; }`; `ref` is the hex KeyPackageRef.
 * - `group/<groupId>/<clientId>`: the member's `GroupState` of the current
 *   epoch, format version 3 (its tree in the `tree/` records); versions 1
 *   and 2 (tree inside), written by older releases, still load.
 * - `pending/<groupId>/<clientId>`: {@link PendingRecord} (layouts at
 *   {@link pendingRecord}), the member's commit awaiting confirmation.
 * - `ratchets/<groupId>/<clientId>`: the base ratchets record, the secret
 *   trees of the current and retained epochs ({@link ratchetsCodec}):
 *   `struct { uint8 version = 1; EpochRatchets trees<V>; }` (no deltas
 *   apply) or `struct { uint8 version = 2; uint32 gen;
 *   EpochRatchets trees<V>; }`, with
 *   `struct { uint64 epoch; SecretTreeState tree; } EpochRatchets`.
 * - `ratchets/<groupId>/<clientId>/<gen>/<epoch>/l<leaf>` and
 *   `.../n<node>`: ratchet delta records ({@link ratchetDeltaKey}), one per
 *   entry of a secret tree changed since the base record of generation
 *   `gen` was written, holding the entry's latest value:
 *   `optional<LeafRatchets>` or `optional<opaque secret<V>>` (absent: the
 *   entry was deleted, so that the base's value is not resurrected).
 * - `tree/<groupId>/<clientId>`: the base tree record ({@link TreeRecord}),
 *   `struct { uint8 version = 1; uint32 gen; TreeBase base; }`.
 * - `tree/<groupId>/<clientId>/<gen>/<seq>`: tree delta records, a
 *   `TreeDelta` each ({@link treeDeltaKey}); a group record names `gen` and
 *   `seq`, and its tree is the base and deltas `1..seq`.
 * - `head/<groupId>/<clientId>`: a random token that every write of the
 *   group state replaces (see `writer_guard.ts`).
 *
 * Other modules may keep records of their own for a client in the same
 * storage; {@link belongsToClient} counts those whose last key segment is
 * the client id (e.g. the delivery client's `delivery/cursor/<clientId>`).
 * - `psk/<pskId>`: an external PSK's secret, by hex id (see `psk_store.ts`);
 *   shared by the storage's clients, so no client's record.
 *
 * @module
 */

import {
  type Codec,
  decode,
  encode,
  enumeration,
  map,
  opaque,
  optional,
  struct,
  uint16,
  uint32,
  uint64,
  uint8,
  vector,
} from "../codec/codec.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import type { LeafRatchets, SecretTreeState } from "../schedule/secret_tree.ts";
import {
  leafRatchetsCodec,
  leafRatchetsSize,
  secretTreeStateCodec,
  secretTreeStateSize,
} from "../group/stored/secret_tree.ts";
import {
  treeBaseCodec,
  type TreeBaseWire,
  treeDeltaCodec,
  type TreeDeltaWire,
} from "../group/stored/tree.ts";

// ---- keys -----------------------------------------------------------------

/** `identity/<clientId>` */
export const identityKey = (clientId: string): string => `identity/${clientId}`;
/** `signer/<clientId>` */
export const signerKey = (clientId: string): string => `signer/${clientId}`;
/** `keypackage/<clientId>/` */
export const keyPackagePrefix = (clientId: string): string =>
  `keypackage/${clientId}/`;
/** `keypackage/<clientId>/<ref>` */
export const keyPackageKey = (clientId: string, ref: string): string =>
  `keypackage/${clientId}/${ref}`;
/** `group/<groupId>/<clientId>` */
export const groupKey = (groupId: string, clientId: string): string =>
  `group/${groupId}/${clientId}`;
/** `pending/<groupId>/<clientId>` */
export const pendingKey = (groupId: string, clientId: string): string =>
  `pending/${groupId}/${clientId}`;

/** `psk/<pskId>`: an external PSK's secret, by hex PSK id. */
export const pskKey = (pskId: string): string => `psk/${pskId}`;

/** `head/<groupId>/<clientId>` */
export const headKey = (groupId: string, clientId: string): string =>
  `head/${groupId}/${clientId}`;
/** `ratchets/<groupId>/<clientId>`: the base ratchets record. */
export const ratchetsKey = (groupId: string, clientId: string): string =>
  `ratchets/${groupId}/${clientId}`;
/** `ratchets/<groupId>/<clientId>/`: the prefix of the ratchet deltas. */
export const ratchetsPrefix = (groupId: string, clientId: string): string =>
  `ratchets/${groupId}/${clientId}/`;
/** `tree/<groupId>/<clientId>`: the base tree record. */
export const treeKey = (groupId: string, clientId: string): string =>
  `tree/${groupId}/${clientId}`;
/** `tree/<groupId>/<clientId>/`: the prefix of the tree deltas. */
export const treePrefix = (groupId: string, clientId: string): string =>
  `tree/${groupId}/${clientId}/`;
/** `tree/<groupId>/<clientId>/<gen>/<seq>`: a tree delta record. */
export const treeDeltaKey = (
  groupId: string,
  clientId: string,
  gen: number,
  seq: number,
): string => `tree/${groupId}/${clientId}/${gen}/${seq}`;

/** The highest generation (and index): delta keys hold uint32s. */
export const MAX_GEN = 0xffffffff;

/** What a ratchet delta key names. */
export interface RatchetDeltaName {
  /** The generation of the base record it applies on. */
  gen: number;
  /** The epoch of the secret tree. */
  epoch: bigint;
  /** `l`: a leaf's ratchets; `n`: a node secret. */
  kind: "l" | "n";
  /** The leaf or node index. */
  index: number;
}

/**
 * `ratchets/<groupId>/<clientId>/<gen>/<epoch>/<kind><index>`: a ratchet
 * delta record, `prefix` being {@link ratchetsPrefix}.
 */
export const ratchetDeltaKey = (prefix: string, d: RatchetDeltaName): string =>
  `${prefix}${d.gen}/${d.epoch}/${d.kind}${d.index}`;

const RATCHET_DELTA =
  /^(0|[1-9][0-9]{0,9})\/(0|[1-9][0-9]{0,19})\/([ln])(0|[1-9][0-9]{0,9})$/;

/**
 * Parses a ratchet delta key under `prefix` ({@link ratchetsPrefix}).
 *
 * @throws MlsError `invalid_value` (field `RatchetDelta.key`) for a key
 *   that is not one, or whose numbers do not fit
 */
export function parseRatchetDeltaKey(
  prefix: string,
  key: string,
): RatchetDeltaName {
  const m = RATCHET_DELTA.exec(key.slice(prefix.length));
  const gen = m ? Number(m[1]) : NaN;
  const epoch = m ? BigInt(m[2]) : 0n;
  const index = m ? Number(m[4]) : NaN;
  if (
    !m || !key.startsWith(prefix) || gen > MAX_GEN || index > MAX_GEN ||
    epoch >= 1n << 64n
  ) {
    throw new MlsError(
      "invalid_value",
      "malformed ratchet delta key",
      "RatchetDelta.key",
    );
  }
  return { gen, epoch, kind: m[3] as "l" | "n", index };
}

/**
 * The generation of a tree delta key under `prefix` ({@link treePrefix}),
 * NaN if the key is not one.
 */
export function treeDeltaGen(prefix: string, key: string): number {
  const m = /^(0|[1-9][0-9]{0,9})\/(0|[1-9][0-9]{0,9})$/.exec(
    key.slice(prefix.length),
  );
  return m && key.startsWith(prefix) ? Number(m[1]) : NaN;
}

/**
 * Whether the record at `key` belongs to `clientId` (what
 * `MLS.deleteIdentity` deletes): `identity/<c>`, `signer/<c>`,
 * `keypackage/<c>/…`, `group/<g>/<c>`, `pending/<g>/<c>`, `head/<g>/<c>`,
 * `ratchets/<g>/<c>` and `ratchets/<g>/<c>/…`, `tree/<g>/<c>` and
 * `tree/<g>/<c>/…`, and any other key whose last segment is `<c>`.
 */
export function belongsToClient(key: string, clientId: string): boolean {
  const s = key.split("/");
  switch (s[0]) {
    case "identity":
    case "signer":
      return s.length === 2 && s[1] === clientId;
    case "keypackage":
      return s.length === 3 && s[1] === clientId;
    case "group":
    case "pending":
    case "head":
      return s.length === 3 && s[2] === clientId;
    case "ratchets":
    case "tree":
      return s.length >= 3 && s[2] === clientId;
    case "psk":
      return false; // shared by the storage's clients, by PSK id
    default:
      return s.length >= 2 && s[s.length - 1] === clientId;
  }
}

// ---- identity, key package, pending commit --------------------------------

/** A stored identity's public part. */
export interface IdentityRecord {
  /** The cipher suite. */
  cipherSuite: number;
  /** The signature public key. */
  signaturePublicKey: Uint8Array;
}

/** A stored key package and its private keys (deleted once used). */
export interface KeyPackageRecord {
  /** The KeyPackage MLSMessage. */
  keyPackage: Uint8Array;
  /** HPKE private key of `init_key`. */
  initPrivateKey: Uint8Array;
  /** HPKE private key of the leaf `encryption_key`. */
  encryptionPrivateKey: Uint8Array;
  /** 1 for a last-resort package (kept after use). */
  lastResort: number;
}

/** Who a pending commit adds, removes and updates, by leaf index. */
export interface PendingSummary {
  /** Leaves of added members (in the new epoch's tree). */
  added: number[];
  /** Leaves of removed members (in the current epoch's tree). */
  removed: number[];
  /** Leaves updated, by Update proposal or by the committer's path. */
  updated: number[];
}

/** A commit this member made that is not applied yet. */
export interface PendingRecord {
  /** The epoch the commit was made in. */
  epoch: bigint;
  /** The Commit MLSMessage. */
  commit: Uint8Array;
  /** The Welcome MLSMessage, if any. */
  welcome: Uint8Array | undefined;
  /** The GroupInfo MLSMessage of the new epoch. */
  groupInfo: Uint8Array;
  /** The serialized state of the new epoch. */
  state: Uint8Array;
  /** What the commit changes; absent in records of format version 1. */
  summary?: PendingSummary;
  /**
   * Version 3: `groupInfo` is stored with the data of its `ratchet_tree`
   * extension left empty, to refill from `state`'s tree when read.
   */
  groupInfoTreeOmitted?: boolean;
}

function versioned<T extends object>(name: string, body: Codec<T>): {
  encode(v: T): Uint8Array;
  decode(b: Uint8Array): T;
} {
  const c = struct<{ version: number; body: T }>({ version: uint8, body });
  return {
    encode: (v) => encode(c, { version: 1, body: v }),
    decode: (b) => {
      const r = decode(c, b, name);
      if (r.version !== 1) {
        throw new MlsError(
          "unsupported_state_version",
          `unknown ${name} version ${r.version}`,
          `${name}.version`,
        );
      }
      return r.body;
    },
  };
}

/** Encoding of {@link IdentityRecord}. */
export const identityRecord: {
  encode(v: IdentityRecord): Uint8Array;
  decode(b: Uint8Array): IdentityRecord;
} = versioned(
  "IdentityRecord",
  struct<IdentityRecord>({ cipherSuite: uint16, signaturePublicKey: opaque }),
);

/** Encoding of {@link KeyPackageRecord}. */
export const keyPackageRecord: {
  encode(v: KeyPackageRecord): Uint8Array;
  decode(b: Uint8Array): KeyPackageRecord;
} = versioned(
  "KeyPackageRecord",
  struct<KeyPackageRecord>({
    keyPackage: opaque,
    initPrivateKey: opaque,
    encryptionPrivateKey: opaque,
    lastResort: uint8,
  }),
);

const pendingV1 = struct<
  Omit<PendingRecord, "summary" | "groupInfoTreeOmitted">
>({
  epoch: uint64,
  commit: opaque,
  welcome: optional(opaque),
  groupInfo: opaque,
  state: opaque,
});

const leaves = vector(uint32);

const pendingV2 = struct<
  Required<Omit<PendingRecord, "groupInfoTreeOmitted">>
>({
  epoch: uint64,
  commit: opaque,
  welcome: optional(opaque),
  groupInfo: opaque,
  state: opaque,
  summary: struct<PendingSummary>({
    added: leaves,
    removed: leaves,
    updated: leaves,
  }),
});

const pendingV3 = struct<Required<PendingRecord>>({
  epoch: uint64,
  commit: opaque,
  welcome: optional(opaque),
  groupInfo: opaque,
  state: opaque,
  summary: struct<PendingSummary>({
    added: leaves,
    removed: leaves,
    updated: leaves,
  }),
  groupInfoTreeOmitted: map(
    enumeration(uint8, [0, 1]),
    (v) => v === 1,
    (b) => b ? 1 : 0,
  ),
});

/**
 * Encoding of {@link PendingRecord}: version 3 (with the summary and
 * `groupInfoTreeOmitted`) is written when that is set, else version 2 (with
 * the summary); versions 1 (without) and 2 are still read.
 *
 * ```text
 * struct { uint32 added<V>; uint32 removed<V>; uint32 updated<V>; }
 *   PendingSummary;
 * struct {
 *   uint8 version;                  // 1, 2 or 3
 *   uint64 epoch;
 *   opaque commit<V>;               // MLSMessage
 *   optional<opaque> welcome<V>;    // MLSMessage
 *   opaque group_info<V>;           // MLSMessage
 *   opaque state<V>;                // GroupState of the next epoch
 *   select (version) {
 *     case 1: struct {};
 *     case 2: PendingSummary summary;
 *     case 3: PendingSummary summary; uint8 group_info_tree_omitted;
 *   };
 * } PendingRecord;
 * ```
 *
 * `state` is a `GroupState` of version 3 whose `TreeRef` is a delta
 * against the group record's tree, or (older records) of version 2.
 */
export const pendingRecord: {
  encode(v: PendingRecord): Uint8Array;
  decode(b: Uint8Array): PendingRecord;
} = {
  encode: (v) =>
    v.summary && v.groupInfoTreeOmitted
      ? encode(struct({ version: uint8, body: pendingV3 }), {
        version: 3,
        body: { ...v, summary: v.summary, groupInfoTreeOmitted: true },
      })
      : v.summary
      ? encode(struct({ version: uint8, body: pendingV2 }), {
        version: 2,
        body: { ...v, summary: v.summary },
      })
      : encode(struct({ version: uint8, body: pendingV1 }), {
        version: 1,
        body: v,
      }),
  decode: (b) => {
    const name = "PendingRecord";
    const version = b.length > 0 ? b[0] : 1;
    if (version === 2) {
      return decode(struct({ version: uint8, body: pendingV2 }), b, name).body;
    }
    if (version === 3) {
      return decode(struct({ version: uint8, body: pendingV3 }), b, name).body;
    }
    return versioned(name, pendingV1).decode(b);
  },
};

// ---- ratchets -------------------------------------------------------------

/** The secret tree of one epoch, as a ratchets record holds it. */
export interface EpochRatchets {
  /** The epoch. */
  epoch: bigint;
  /** Its secret tree's state. */
  tree: SecretTreeState;
}

/** A base ratchets record. */
export interface RatchetsRecord {
  /** 1: written without deltas (older versions); 2: with a generation. */
  version: number;
  /** The secret trees, the current epoch's first. */
  trees: EpochRatchets[];
}

/** A base ratchets record as decoded. */
export interface BaseRatchetsRecord extends RatchetsRecord {
  /** The generation of the delta records that apply on top (version 2). */
  gen: number | undefined;
}

const treesCodec = vector(
  struct<EpochRatchets>({ epoch: uint64, tree: secretTreeStateCodec }),
);

/** The base ratchets record (layouts in the module notes). */
export const ratchetsCodec: Codec<BaseRatchetsRecord> = {
  encode: (w, v) => {
    w.u8(v.version);
    if (v.version === 2) w.u32(v.gen ?? 0);
    treesCodec.encode(w, v.trees);
  },
  decode: (r, f) => {
    const version = r.u8(`${f}.version`);
    if (version !== 1 && version !== 2) {
      throw new MlsError(
        "unsupported_state_version",
        `unknown ratchets record version ${version}`,
        `${f}.version`,
      );
    }
    const gen = version === 2 ? r.u32(`${f}.gen`) : undefined;
    return { version, gen, trees: treesCodec.decode(r, `${f}.trees`) };
  },
};

function varintSize(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4;
}

/**
 * A base ratchets record of `trees`, as {@link ratchetsCodec} writes it,
 * into one buffer of its exact size: version 1 without `gen`, else 2.
 */
export function encodeRatchetsRecord(
  trees: readonly EpochRatchets[],
  gen?: number,
): Uint8Array {
  let body = 0;
  for (const t of trees) body += 8 + secretTreeStateSize(t.tree);
  const head = gen === undefined ? 1 : 5;
  const w = new Writer(head + varintSize(body) + body);
  if (gen === undefined) w.u8(1);
  else {
    w.u8(2);
    w.u32(gen);
  }
  w.varint(body);
  for (const t of trees) {
    w.u64(t.epoch);
    secretTreeStateCodec.encode(w, t.tree);
  }
  return w.finish();
}

/** The value of a leaf's ratchet delta record: `optional<LeafRatchets>`. */
const leafDeltaCodec = optional(leafRatchetsCodec);
/** The value of a node's ratchet delta record: `optional<opaque secret<V>>`. */
const nodeDeltaCodec = optional(opaque);

/** A leaf's ratchet delta record of `l` (absent: deleted). */
export function encodeLeafDelta(l: LeafRatchets | undefined): Uint8Array {
  const w = new Writer(l ? 1 + leafRatchetsSize(l) : 1);
  leafDeltaCodec.encode(w, l);
  return w.finish();
}

/** A node's ratchet delta record of `secret` (absent: deleted). */
export function encodeNodeDelta(secret: Uint8Array | undefined): Uint8Array {
  const w = new Writer(
    secret ? 1 + varintSize(secret.length) + secret.length : 1,
  );
  nodeDeltaCodec.encode(w, secret);
  return w.finish();
}

/**
 * Decodes a ratchet delta record of `kind`; the values are copies, so the
 * caller may wipe `bytes`.
 *
 * @throws MlsError `truncated`, `trailing_bytes`, `invalid_value` (field
 *   `RatchetDelta`)
 */
export function decodeRatchetDelta(
  kind: "l" | "n",
  bytes: Uint8Array,
): LeafRatchets | Uint8Array | undefined {
  const field = "RatchetDelta";
  const r = new Reader(bytes);
  const v = kind === "l"
    ? leafDeltaCodec.decode(r, field)
    : nodeDeltaCodec.decode(r, field);
  r.end(field);
  return v;
}

// ---- tree -----------------------------------------------------------------

/** A base tree record. */
export interface TreeRecord {
  /** Its generation: the delta records `<gen>/<seq>` apply on it. */
  gen: number;
  /** The tree. */
  base: TreeBaseWire;
}

const treeRecordCodec = struct<
  { version: number; gen: number; base: TreeBaseWire }
>({
  version: uint8,
  gen: uint32,
  base: treeBaseCodec,
});

/** Encodes a base tree record (version 1). */
export function encodeTreeRecord(t: TreeRecord): Uint8Array {
  return encode(treeRecordCodec, { version: 1, ...t });
}

/**
 * Decodes a base tree record.
 *
 * @throws MlsError `unsupported_state_version` for another version, or a
 *   decoding code with the field (under `TreeRecord`)
 */
export function decodeTreeRecord(bytes: Uint8Array): TreeRecord {
  const r = new Reader(bytes);
  const version = r.u8("TreeRecord.version");
  if (version !== 1) {
    throw new MlsError(
      "unsupported_state_version",
      `unknown tree record version ${version}`,
      "TreeRecord.version",
    );
  }
  const gen = r.u32("TreeRecord.gen");
  const base = treeBaseCodec.decode(r, "TreeRecord.base");
  r.end("TreeRecord");
  return { gen, base };
}

/** Encodes a tree delta record. */
export function encodeTreeDelta(d: TreeDeltaWire): Uint8Array {
  return encode(treeDeltaCodec, d);
}

/** Decodes a tree delta record; `field` names it in errors. */
export function decodeTreeDelta(
  bytes: Uint8Array,
  field: string,
): TreeDeltaWire {
  return decode(treeDeltaCodec, bytes, field);
}
