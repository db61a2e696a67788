/**
 * The step from one epoch to the next, shared by committers, members
 * processing a commit and (in part) joiners: transcript hashes (§8.2), the
 * new group context, the key schedule (§8) and the secret tree (§9).
 *
 * @module
 */

import { encode } from "../codec/codec.ts";
import type { AuthenticatedContent } from "../framing/authenticated_content.ts";
import type { Extension } from "../messages/extension.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../messages/group_context.ts";
import {
  deriveEpochSecrets,
  type EpochSecrets,
} from "../schedule/key_schedule.ts";
import { derivePskSecret, type PskInput } from "../schedule/psk.ts";
import { SecretTree } from "../schedule/secret_tree.ts";
import {
  confirmedTranscriptHash,
  interimTranscriptHash,
} from "../framing/transcript_hash.ts";
import { confirmationTag } from "../schedule/confirmation_tag.ts";
import type { RatchetTree } from "../tree/ratchet_tree.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { wipe } from "../util/bytes.ts";
import type { GroupConfig } from "./config.ts";
import type { EpochKeys } from "./state.ts";

/** Inputs of {@link nextEpoch}. */
export interface NextEpochInput {
  /** The old group context. */
  context: GroupContext;
  /** The old interim transcript hash. */
  interimTranscriptHash: Uint8Array;
  /** The signed commit (its confirmation tag not needed yet). */
  commit: AuthenticatedContent;
  /** The new tree. */
  tree: RatchetTree;
  /** The new group context extensions. */
  extensions: Extension[];
  /** The old `init_secret`, or the external init secret (§8.3). */
  initSecret: Uint8Array;
  /** `commit_secret`, or `undefined` for a commit without a path. */
  commitSecret?: Uint8Array;
  /** The PSKs, in proposal order. */
  psks: readonly PskInput[];
  /** Secret-tree limits. */
  config: GroupConfig;
}

/** The new epoch. */
export interface NextEpoch {
  /** The new group context. */
  context: GroupContext;
  /** Its encoding. */
  contextBytes: Uint8Array;
  /** The epoch secrets a member keeps. */
  keys: EpochKeys;
  /** The new secret tree. */
  secretTree: SecretTree;
  /** The confirmation tag the commit must carry. */
  confirmationTag: Uint8Array;
  /** The new interim transcript hash. */
  interimTranscriptHash: Uint8Array;
  /** `joiner_secret`, for Welcome messages. */
  joinerSecret: Uint8Array;
  /** `psk_secret`, for Welcome messages. */
  pskSecret: Uint8Array;
}

/** Splits the key schedule's output into what a member keeps. */
export function epochKeys(s: EpochSecrets): EpochKeys {
  return {
    senderDataSecret: s.senderDataSecret,
    exporterSecret: s.exporterSecret,
    externalSecret: s.externalSecret,
    confirmationKey: s.confirmationKey,
    membershipKey: s.membershipKey,
    resumptionPsk: s.resumptionPsk,
    epochAuthenticator: s.epochAuthenticator,
    initSecret: s.initSecret,
  };
}

/** Computes the next epoch from a signed commit (§12.4.1, §12.4.2). */
export async function nextEpoch(
  cs: SuiteCrypto,
  input: NextEpochInput,
): Promise<NextEpoch> {
  const [treeHash, confirmed, pskSecret] = await Promise.all([
    input.tree.treeHash(cs),
    confirmedTranscriptHash(cs, input.interimTranscriptHash, input.commit),
    derivePskSecret(cs, input.psks),
  ]);
  const context: GroupContext = {
    ...input.context,
    epoch: input.context.epoch + 1n,
    treeHash,
    confirmedTranscriptHash: confirmed,
    extensions: input.extensions,
  };
  const contextBytes = encode(groupContextCodec, context);
  const secrets = await deriveEpochSecrets(cs, {
    initSecret: input.initSecret,
    commitSecret: input.commitSecret ?? new Uint8Array(cs.hashLength),
    pskSecret,
    groupContext: contextBytes,
  });
  const tag = await confirmationTag(cs, secrets.confirmationKey, confirmed);
  const interim = await interimTranscriptHash(cs, confirmed, tag);
  const secretTree = SecretTree.create(
    cs,
    secrets.encryptionSecret,
    input.tree.leafCount,
    input.config,
  );
  wipe(secrets.welcomeSecret);
  return {
    context,
    contextBytes,
    keys: epochKeys(secrets),
    secretTree,
    confirmationTag: tag,
    interimTranscriptHash: interim,
    joinerSecret: secrets.joinerSecret,
    pskSecret,
  };
}
