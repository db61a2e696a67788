/**
 * `KeyPackage` and `KeyPackageTBS` (RFC 9420 §10).
 *
 * @module
 */

import { type Codec, opaque, struct } from "../codec/codec.ts";
import { type Extension, extensionsCodec } from "./extension.ts";
import { type LeafNode, leafNodeCodec } from "./leaf_node.ts";
import {
  type CipherSuite,
  cipherSuiteCodec,
  type ProtocolVersion,
  protocolVersionCodec,
} from "./protocol_version.ts";

/** `KeyPackageTBS` (§10): the key package content its signature covers. */
export interface KeyPackageTBS {
  /** `ProtocolVersion version` */
  version: ProtocolVersion;
  /** `CipherSuite cipher_suite` */
  cipherSuite: CipherSuite;
  /** `HPKEPublicKey init_key` */
  initKey: Uint8Array;
  /** `LeafNode leaf_node` (source `key_package`) */
  leafNode: LeafNode;
  /** `Extension extensions<V>` */
  extensions: Extension[];
}

/** `KeyPackage` (§10). */
export interface KeyPackage extends KeyPackageTBS {
  /** `SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)` */
  signature: Uint8Array;
}

const tbsFields = {
  version: protocolVersionCodec,
  cipherSuite: cipherSuiteCodec,
  initKey: opaque,
  leafNode: leafNodeCodec,
  extensions: extensionsCodec,
};

/**
 * `KeyPackageTBS`: the bytes a key package's signature covers. Encoding a
 * whole {@link KeyPackage} with it drops the signature.
 */
export const keyPackageTBSCodec: Codec<KeyPackageTBS> = struct<KeyPackageTBS>(
  tbsFields,
);

/** `KeyPackage` */
export const keyPackageCodec: Codec<KeyPackage> = struct<KeyPackage>({
  ...tbsFields,
  signature: opaque,
});
