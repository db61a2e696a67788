/**
 * GroupInfo signing and verification (RFC 9420 §12.4.3), and the
 * extensions it carries for joiners: `ratchet_tree` (§12.4.3.3) and
 * `external_pub` (§12.4.3.2).
 *
 * @module
 */

import { decode, decodeShared, encode } from "../codec/codec.ts";
import { signWithLabel, verifyWithLabel } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import {
  type Extension,
  ExtensionType,
  findExtension,
} from "../messages/extension.ts";
import { externalPubCodec } from "../messages/external_pub.ts";
import {
  type GroupInfo,
  type GroupInfoTBS,
  groupInfoTBSCodec,
} from "../messages/group_info.ts";
import {
  type RatchetTree as WireTree,
  ratchetTreeCodec,
} from "../messages/ratchet_tree.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { deriveExternalKeyPair } from "../schedule/key_schedule.ts";
import { wipe } from "../util/bytes.ts";
import type { GroupState } from "./state.ts";

/** Signs a GroupInfo (`SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)`). */
export async function signGroupInfo(
  cs: SuiteCrypto,
  tbs: GroupInfoTBS,
  key: SignaturePrivateKey,
): Promise<GroupInfo> {
  const signature = await signWithLabel(
    cs,
    key,
    "GroupInfoTBS",
    encode(groupInfoTBSCodec, tbs),
  );
  return { ...tbs, signature };
}

/** Verifies a GroupInfo signature; throws `invalid_signature`. */
export async function verifyGroupInfo(
  cs: SuiteCrypto,
  info: GroupInfo,
  signerPublicKey: Uint8Array,
): Promise<void> {
  const ok = await verifyWithLabel(
    cs,
    signerPublicKey,
    "GroupInfoTBS",
    encode(groupInfoTBSCodec, info),
    info.signature,
  );
  if (!ok) {
    throw new MlsError(
      "invalid_signature",
      "GroupInfo signature does not verify",
      "GroupInfo.signature",
    );
  }
}

/** The `ratchet_tree` extension's tree, if the GroupInfo carries one. */
export function ratchetTreeFromExtensions(
  extensions: readonly Extension[],
): WireTree | undefined {
  const ext = findExtension(extensions, ExtensionType.ratchetTree);
  if (!ext) return undefined;
  // One copy shared by all nodes: a tree is kept whole, not field by field.
  return decodeShared(ratchetTreeCodec, ext.extensionData, "ratchet_tree");
}

/** A `ratchet_tree` extension holding `nodes`. */
export function ratchetTreeExtension(nodes: WireTree): Extension {
  return {
    extensionType: ExtensionType.ratchetTree,
    extensionData: encode(ratchetTreeCodec, nodes),
  };
}

/** The `external_pub` key, if the GroupInfo carries one. */
export function externalPubFromExtensions(
  extensions: readonly Extension[],
): Uint8Array | undefined {
  const ext = findExtension(extensions, ExtensionType.externalPub);
  if (!ext) return undefined;
  return decode(externalPubCodec, ext.extensionData, "external_pub")
    .externalPub;
}

/** An `external_pub` extension. */
export function externalPubExtension(externalPub: Uint8Array): Extension {
  return {
    extensionType: ExtensionType.externalPub,
    extensionData: encode(externalPubCodec, { externalPub }),
  };
}

/** Re-exported from its home, `messages/extension.ts` (§13.4). */
export { checkUniqueExtensions } from "../messages/extension.ts";

/** Options of {@link groupInfoFor}. */
export interface GroupInfoOptions {
  /** Include the `ratchet_tree` extension (default: the group's config). */
  ratchetTree?: boolean;
  /** Include `external_pub` (default: the group's config). */
  externalPub?: boolean;
}

/**
 * A signed GroupInfo for the current epoch of `state` (§12.4.3), with the
 * tree and the external public key as configured.
 */
export async function groupInfoFor(
  state: GroupState,
  options: GroupInfoOptions = {},
): Promise<GroupInfo> {
  const extensions: Extension[] = [];
  if (options.externalPub ?? state.config.externalPub) {
    const kp = await deriveExternalKeyPair(state.cs, state.keys.externalSecret);
    wipe(kp.privateKey);
    extensions.push(externalPubExtension(kp.publicKey));
  }
  if (options.ratchetTree ?? state.config.ratchetTreeExtension) {
    extensions.push(ratchetTreeExtension(state.tree.toNodes()));
  }
  return await signGroupInfo(state.cs, {
    groupContext: state.context,
    extensions,
    confirmationTag: state.confirmationTag,
    signer: state.privateTree.leafIndex,
  }, state.signer);
}
