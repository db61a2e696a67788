/**
 * `LeafNode` and `LeafNodeTBS` (RFC 9420 §7.2).
 *
 * A leaf node is flat: the common fields, the `leafNodeSource` discriminant
 * with the fields of its arm (`lifetime` for key packages, `parentHash` for
 * commits, nothing for updates), then `extensions` and `signature`.
 *
 * @module
 */

import {
  type Codec,
  empty,
  enumeration,
  merge,
  opaque,
  struct,
  uint32,
  uint8,
  variant,
} from "../codec/codec.ts";
import type { Reader } from "../codec/reader.ts";
import type { Writer } from "../codec/writer.ts";
import { MlsError } from "../errors.ts";
import { type Capabilities, capabilitiesCodec } from "./capabilities.ts";
import { type Credential, credentialCodec } from "./credential.ts";
import { type Extension, extensionsCodec } from "./extension.ts";
import { type Lifetime, lifetimeCodec } from "./lifetime.ts";

/** `LeafNodeSource` (§7.2). */
export const LeafNodeSource = { keyPackage: 1, update: 2, commit: 3 } as const;
/** A known leaf node source value. */
export type LeafNodeSource = typeof LeafNodeSource[keyof typeof LeafNodeSource];

/** `LeafNodeSource` as a closed uint8 enum. */
export const leafNodeSourceCodec: Codec<LeafNodeSource> = enumeration(
  uint8,
  Object.values(LeafNodeSource),
);

/** The `key_package` arm: the leaf of a KeyPackage, with its lifetime. */
export interface LeafNodeFromKeyPackage {
  /** `key_package` */
  leafNodeSource: typeof LeafNodeSource.keyPackage;
  /** `Lifetime lifetime` */
  lifetime: Lifetime;
}

/** The `update` arm: a leaf sent in an Update proposal. */
export interface LeafNodeFromUpdate {
  /** `update` */
  leafNodeSource: typeof LeafNodeSource.update;
}

/** The `commit` arm: a leaf sent in a Commit's UpdatePath. */
export interface LeafNodeFromCommit {
  /** `commit` */
  leafNodeSource: typeof LeafNodeSource.commit;
  /** `opaque parent_hash<V>` (§7.9) */
  parentHash: Uint8Array;
}

/** The `select (leaf_node_source)` part of a leaf node. */
export type LeafNodeSourceFields =
  | LeafNodeFromKeyPackage
  | LeafNodeFromUpdate
  | LeafNodeFromCommit;

/** The fields every leaf node has, whatever its source. */
export interface LeafNodeCommon {
  /** `HPKEPublicKey encryption_key` */
  encryptionKey: Uint8Array;
  /** `SignaturePublicKey signature_key` */
  signatureKey: Uint8Array;
  /** `Credential credential` */
  credential: Credential;
  /** `Capabilities capabilities` */
  capabilities: Capabilities;
  /** `Extension extensions<V>` */
  extensions: Extension[];
}

/** A leaf node without its signature: the content the signature covers. */
export type LeafNodeContent = LeafNodeCommon & LeafNodeSourceFields;

/** `LeafNode` (§7.2). */
export type LeafNode = LeafNodeContent & {
  /** `SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)` */
  signature: Uint8Array;
};

/**
 * `LeafNodeTBS` (§7.2): the leaf content, plus — for the `update` and
 * `commit` sources only — the group and leaf the node is signed for. Passing
 * a whole {@link LeafNode} with `groupId`/`leafIndex` added is fine: the
 * signature is not encoded, and the context is ignored for key packages.
 */
export type LeafNodeTBS = LeafNodeContent & {
  /** `opaque group_id<V>`; required for `update` and `commit` */
  groupId?: Uint8Array;
  /** `uint32 leaf_index`; required for `update` and `commit` */
  leafIndex?: number;
};

type Head = Pick<
  LeafNodeCommon,
  "encryptionKey" | "signatureKey" | "credential" | "capabilities"
>;

const head: Codec<Head> = struct<Head>({
  encryptionKey: opaque,
  signatureKey: opaque,
  credential: credentialCodec,
  capabilities: capabilitiesCodec,
});

const source: Codec<LeafNodeSourceFields> = variant<
  LeafNodeSourceFields,
  "leafNodeSource"
>("leafNodeSource", uint8, {
  [LeafNodeSource.keyPackage]: struct({ lifetime: lifetimeCodec }),
  [LeafNodeSource.update]: empty,
  [LeafNodeSource.commit]: struct({ parentHash: opaque }),
});

/** `LeafNode` */
export const leafNodeCodec: Codec<LeafNode> = merge(
  head,
  source,
  struct<{ extensions: Extension[]; signature: Uint8Array }>({
    extensions: extensionsCodec,
    signature: opaque,
  }),
);

/** `LeafNodeTBS`: the bytes a leaf node's signature covers. */
export const leafNodeTBSCodec: Codec<LeafNodeTBS> = {
  encode(w: Writer, v: LeafNodeTBS): void {
    head.encode(w, v);
    source.encode(w, v);
    extensionsCodec.encode(w, v.extensions);
    if (v.leafNodeSource === LeafNodeSource.keyPackage) return;
    if (v.groupId === undefined || v.leafIndex === undefined) {
      throw new MlsError(
        "invalid_value",
        "LeafNodeTBS needs groupId and leafIndex for update/commit leaves",
        "LeafNodeTBS.groupId",
      );
    }
    opaque.encode(w, v.groupId);
    uint32.encode(w, v.leafIndex);
  },
  decode(r: Reader, f: string): LeafNodeTBS {
    const out: LeafNodeTBS = {
      ...head.decode(r, f),
      ...source.decode(r, f),
      extensions: extensionsCodec.decode(r, `${f}.extensions`),
    };
    if (out.leafNodeSource !== LeafNodeSource.keyPackage) {
      out.groupId = opaque.decode(r, `${f}.groupId`);
      out.leafIndex = uint32.decode(r, `${f}.leafIndex`);
    }
    return out;
  },
};
