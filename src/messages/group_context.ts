/**
 * `GroupContext` (RFC 9420 §8.1): the group state every member agrees on in
 * an epoch.
 *
 * @module
 */

import { type Codec, opaque, struct, uint64 } from "../codec/codec.ts";
import { type Extension, extensionsCodec } from "./extension.ts";
import {
  type CipherSuite,
  cipherSuiteCodec,
  type ProtocolVersion,
  protocolVersionCodec,
} from "./protocol_version.ts";

/** `GroupContext` (§8.1). */
export interface GroupContext {
  /** `ProtocolVersion version = mls10` */
  version: ProtocolVersion;
  /** `CipherSuite cipher_suite` */
  cipherSuite: CipherSuite;
  /** `opaque group_id<V>` */
  groupId: Uint8Array;
  /** `uint64 epoch` */
  epoch: bigint;
  /** `opaque tree_hash<V>` */
  treeHash: Uint8Array;
  /** `opaque confirmed_transcript_hash<V>` */
  confirmedTranscriptHash: Uint8Array;
  /** `Extension extensions<V>` */
  extensions: Extension[];
}

/** `GroupContext` */
export const groupContextCodec: Codec<GroupContext> = struct<GroupContext>({
  version: protocolVersionCodec,
  cipherSuite: cipherSuiteCodec,
  groupId: opaque,
  epoch: uint64,
  treeHash: opaque,
  confirmedTranscriptHash: opaque,
  extensions: extensionsCodec,
});
