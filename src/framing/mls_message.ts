/**
 * `MLSMessage` (RFC 9420 §6): the envelope of everything sent on the wire.
 * A flat union on `wireFormat`, whose arm field is named after the RFC's:
 * `{ version: 1, wireFormat: WireFormat.mlsWelcome, welcome }`.
 *
 * It lives in `src/framing` rather than `src/messages` because it carries
 * PublicMessage and PrivateMessage, and framing is the layer below messages.
 *
 * @module
 */

import { type Codec, merge, struct, uint16, variant } from "../codec/codec.ts";
import { type GroupInfo, groupInfoCodec } from "../messages/group_info.ts";
import { type KeyPackage, keyPackageCodec } from "../messages/key_package.ts";
import {
  type ProtocolVersion,
  protocolVersionCodec,
} from "../messages/protocol_version.ts";
import { type Welcome, welcomeCodec } from "../messages/welcome.ts";
import { type PrivateMessage, privateMessageCodec } from "./private_message.ts";
import { type PublicMessage, publicMessageCodec } from "./public_message.ts";
import { WireFormat } from "./wire_format.ts";

/** An `mls_public_message` MLSMessage. */
export interface MLSPublicMessage {
  /** `mls_public_message` */
  wireFormat: typeof WireFormat.mlsPublicMessage;
  /** `PublicMessage public_message` */
  publicMessage: PublicMessage;
}

/** An `mls_private_message` MLSMessage. */
export interface MLSPrivateMessage {
  /** `mls_private_message` */
  wireFormat: typeof WireFormat.mlsPrivateMessage;
  /** `PrivateMessage private_message` */
  privateMessage: PrivateMessage;
}

/** An `mls_welcome` MLSMessage. */
export interface MLSWelcome {
  /** `mls_welcome` */
  wireFormat: typeof WireFormat.mlsWelcome;
  /** `Welcome welcome` */
  welcome: Welcome;
}

/** An `mls_group_info` MLSMessage. */
export interface MLSGroupInfo {
  /** `mls_group_info` */
  wireFormat: typeof WireFormat.mlsGroupInfo;
  /** `GroupInfo group_info` */
  groupInfo: GroupInfo;
}

/** An `mls_key_package` MLSMessage. */
export interface MLSKeyPackage {
  /** `mls_key_package` */
  wireFormat: typeof WireFormat.mlsKeyPackage;
  /** `KeyPackage key_package` */
  keyPackage: KeyPackage;
}

/** The `select (wire_format)` part of an MLSMessage. */
export type MLSMessageBody =
  | MLSPublicMessage
  | MLSPrivateMessage
  | MLSWelcome
  | MLSGroupInfo
  | MLSKeyPackage;

/** `MLSMessage` (§6). */
export type MLSMessage = MLSMessageBody & {
  /** `ProtocolVersion version = mls10` */
  version: ProtocolVersion;
};

/**
 * `MLSMessage`; a version other than mls10 or an unknown wire format is
 * `unknown_enum`.
 */
export const mlsMessageCodec: Codec<MLSMessage> = merge(
  struct<{ version: ProtocolVersion }>({ version: protocolVersionCodec }),
  variant<MLSMessageBody, "wireFormat">("wireFormat", uint16, {
    [WireFormat.mlsPublicMessage]: struct({
      publicMessage: publicMessageCodec,
    }),
    [WireFormat.mlsPrivateMessage]: struct({
      privateMessage: privateMessageCodec,
    }),
    [WireFormat.mlsWelcome]: struct({ welcome: welcomeCodec }),
    [WireFormat.mlsGroupInfo]: struct({ groupInfo: groupInfoCodec }),
    [WireFormat.mlsKeyPackage]: struct({ keyPackage: keyPackageCodec }),
  }),
);
