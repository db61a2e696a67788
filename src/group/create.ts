/**
 * Group creation (RFC 9420 §11): a one-member group at epoch 0 with a fully
 * initialized key schedule and transcript hashes.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { Credential } from "../messages/credential.ts";
import type { Extension } from "../messages/extension.ts";
import type { GroupContext } from "../messages/group_context.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import { encode } from "../codec/codec.ts";
import { groupContextCodec } from "../messages/group_context.ts";
import { deriveEpochSecrets } from "../schedule/key_schedule.ts";
import { SecretTree } from "../schedule/secret_tree.ts";
import { interimTranscriptHash } from "../framing/transcript_hash.ts";
import { confirmationTag } from "../schedule/confirmation_tag.ts";
import { PrivateTree } from "../tree/private_tree.ts";
import { RatchetTree } from "../tree/ratchet_tree.ts";
import type {
  SignatureKeyPair,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { wipe } from "../util/bytes.ts";
import { type GroupConfig, groupConfig } from "./config.ts";
import { checkUniqueExtensions } from "./group_info.ts";
import { epochKeys } from "./epoch.ts";
import { generateLeafNode, type KeyPackageOptions } from "./key_package.ts";
import type { GroupState } from "./state.ts";
import { supportsExtensions } from "./capabilities.ts";

/** Options of {@link createGroup}. */
export interface CreateGroupOptions extends KeyPackageOptions {
  /** The group id; a random `KDF.Nh`-byte value by default (§11). */
  groupId?: Uint8Array;
  /** Group context extensions. */
  extensions?: Extension[];
  /** This member's settings for the group (defaults: `groupConfig`). */
  config?: Partial<GroupConfig>;
}

/** Creates a one-member group (§11) for `credential` signed by `signer`. */
export async function createGroup(
  cs: SuiteCrypto,
  credential: Credential,
  signer: SignatureKeyPair,
  options: CreateGroupOptions = {},
): Promise<GroupState> {
  const extensions = options.extensions ?? [];
  checkUniqueExtensions(extensions, "extensions");
  // The creator's leaf is a key package's leaf; no init key is needed.
  const { leafNode: leaf, encryptionPrivateKey } = await generateLeafNode(
    cs,
    credential,
    signer,
    options,
  );
  if (!supportsExtensions(leaf, extensions)) {
    throw new MlsError(
      "unsupported_capabilities",
      "the creator's capabilities do not list the group extensions",
      "extensions",
    );
  }
  const tree = RatchetTree.create(leaf);
  const context: GroupContext = {
    version: ProtocolVersion.mls10,
    cipherSuite: cs.id,
    groupId: options.groupId ?? cs.randomBytes(cs.hashLength),
    epoch: 0n,
    treeHash: await tree.treeHash(cs),
    confirmedTranscriptHash: new Uint8Array(0),
    extensions,
  };
  const secrets = await deriveEpochSecrets(cs, {
    initSecret: cs.randomBytes(cs.hashLength),
    commitSecret: new Uint8Array(cs.hashLength),
    groupContext: encode(groupContextCodec, context),
  });
  const tag = await confirmationTag(
    cs,
    secrets.confirmationKey,
    context.confirmedTranscriptHash,
  );
  const config = groupConfig(options.config);
  const keys = epochKeys(secrets);
  wipe(secrets.joinerSecret);
  wipe(secrets.welcomeSecret);
  return {
    cs,
    config,
    context,
    tree,
    privateTree: new PrivateTree(
      0,
      encryptionPrivateKey,
      leaf.encryptionKey,
    ),
    signer: signer.privateKey,
    keys,
    secretTree: SecretTree.create(cs, secrets.encryptionSecret, 1, config),
    interimTranscriptHash: await interimTranscriptHash(
      cs,
      context.confirmedTranscriptHash,
      tag,
    ),
    confirmationTag: tag,
    proposals: new Map(),
    updateKeys: new Map(),
    resumptionPsks: new Map([[0n, keys.resumptionPsk]]),
    past: [],
    status: "active",
  };
}
