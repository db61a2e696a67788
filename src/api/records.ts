/**
 * The records the Web API keeps in {@link Storage}, their keys and their
 * binary encodings. Every record starts with a format version so that the
 * layout can evolve.
 *
 * Keys:
 * - `identity/<clientId>`: {@link IdentityRecord}
 * - `signer/<clientId>`: the signature private key (bytes or a CryptoKey)
 * - `keypackage/<clientId>/<ref>`: {@link KeyPackageRecord}
 * - `group/<groupId>/<clientId>`: the serialized group state
 * - `pending/<groupId>/<clientId>`: {@link PendingRecord}
 * - `ratchets/<groupId>/<clientId>` and the delta records under
 *   `ratchets/<groupId>/<clientId>/`: the secret trees (see `persist.ts`)
 * - `tree/<groupId>/<clientId>` and the delta records
 *   `tree/<groupId>/<clientId>/<gen>/<seq>`: the ratchet tree of a group
 *   record of state format 3 (see `persist.ts`)
 * - `head/<groupId>/<clientId>`: a random token rewritten by every write of
 *   the group state, which writes expect unchanged (see `writer_guard.ts`)
 * - `psk/<pskId>`: an external PSK's secret, by hex id (see `psk_store.ts`)
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
import { MlsError } from "../errors.ts";

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
