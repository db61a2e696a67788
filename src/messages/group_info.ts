/**
 * `GroupInfo` and `GroupInfoTBS` (RFC 9420 §12.4.3).
 *
 * @module
 */

import { type Codec, opaque, struct, uint32 } from "../codec/codec.ts";
import { type Extension, extensionsCodec } from "./extension.ts";
import { type GroupContext, groupContextCodec } from "./group_context.ts";

/** `GroupInfoTBS` (§12.4.3): the group info its signature covers. */
export interface GroupInfoTBS {
  /** `GroupContext group_context` */
  groupContext: GroupContext;
  /** `Extension extensions<V>` */
  extensions: Extension[];
  /** `MAC confirmation_tag` */
  confirmationTag: Uint8Array;
  /** `uint32 signer`: the signer's leaf index */
  signer: number;
}

/** `GroupInfo` (§12.4.3). */
export interface GroupInfo extends GroupInfoTBS {
  /** `SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)` */
  signature: Uint8Array;
}

const tbsFields = {
  groupContext: groupContextCodec,
  extensions: extensionsCodec,
  confirmationTag: opaque,
  signer: uint32,
};

/**
 * `GroupInfoTBS`: the bytes a group info's signature covers. Encoding a
 * whole {@link GroupInfo} with it drops the signature.
 */
export const groupInfoTBSCodec: Codec<GroupInfoTBS> = struct<GroupInfoTBS>(
  tbsFields,
);

/** `GroupInfo` */
export const groupInfoCodec: Codec<GroupInfo> = struct<GroupInfo>({
  ...tbsFields,
  signature: opaque,
});
