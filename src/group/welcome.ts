/**
 * Welcome messages (RFC 9420 §12.4.3.1): building one for the members a
 * commit adds, and joining a group from one.
 *
 * @module
 */

import { decode, encode } from "../codec/codec.ts";
import { decryptWithLabel, encryptWithLabelMany } from "../crypto/labeled.ts";
import { MlsError } from "../errors.ts";
import { groupContextCodec } from "../messages/group_context.ts";
import { type GroupInfo, groupInfoCodec } from "../messages/group_info.ts";
import {
  type GroupSecrets,
  groupSecretsCodec,
} from "../messages/group_secrets.ts";
import type { KeyPackage } from "../messages/key_package.ts";
import { leafNodeCodec } from "../messages/leaf_node.ts";
import { ProtocolVersion } from "../messages/protocol_version.ts";
import {
  type PreSharedKeyID,
  PSKType,
  ResumptionPSKUsage,
} from "../messages/psk.ts";
import type { RatchetTree as WireTree } from "../messages/ratchet_tree.ts";
import type { Welcome } from "../messages/welcome.ts";
import {
  deriveWelcomeSecret,
  epochSecretsFromJoiner,
  welcomeKeyNonce,
} from "../schedule/key_schedule.ts";
import { derivePskSecret } from "../schedule/psk.ts";
import { SecretTree } from "../schedule/secret_tree.ts";
import { interimTranscriptHash } from "../framing/transcript_hash.ts";
import { verifyConfirmationTag } from "../schedule/confirmation_tag.ts";
import { PrivateTree } from "../tree/private_tree.ts";
import { commonAncestor, leafToNode } from "../tree/tree_math.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { bytesEqual, wipe } from "../util/bytes.ts";
import { type GroupConfig, groupConfig } from "./config.ts";
import { epochKeys } from "./epoch.ts";
import { verifiedGroupTree } from "./group_tree.ts";
import { keyPackageRef } from "./key_package.ts";
import { type PskLookup, resolvePsks } from "./psks.ts";
import type { GroupState } from "./state.ts";
import type { ValidationOptions } from "./validation/context.ts";
import { mapLimited } from "../util/map_limited.ts";

/** One member to welcome. */
export interface WelcomeRecipient {
  /** The member's KeyPackage. */
  keyPackage: KeyPackage;
  /** The path secret of the committer/member common ancestor, if any. */
  pathSecret?: Uint8Array;
}

/**
 * Builds a Welcome (§12.4.3.1): the signed GroupInfo encrypted under the
 * welcome key, and the joiner secret (with path secret and PSK ids)
 * encrypted to each recipient's init key.
 */
export async function createWelcome(
  cs: SuiteCrypto,
  groupInfo: GroupInfo,
  joinerSecret: Uint8Array,
  pskSecret: Uint8Array,
  psks: readonly PreSharedKeyID[],
  recipients: readonly WelcomeRecipient[],
): Promise<Welcome> {
  const welcomeSecret = await deriveWelcomeSecret(cs, joinerSecret, pskSecret);
  const { key, nonce } = await welcomeKeyNonce(cs, welcomeSecret);
  wipe(welcomeSecret);
  const encryptedGroupInfo = await cs.aeadSeal(
    key,
    nonce,
    new Uint8Array(0),
    encode(groupInfoCodec, groupInfo),
  );
  wipe(key);
  // Every GroupSecrets is encrypted under the same context (the encrypted
  // GroupInfo): one batch, whose `info` is built and hashed once.
  const [refs, sealed] = await Promise.all([
    mapLimited(recipients, (r) => keyPackageRef(cs, r.keyPackage)),
    encryptWithLabelMany(
      cs,
      recipients.map((r) => ({
        publicKey: r.keyPackage.initKey,
        plaintext: encode(
          groupSecretsCodec,
          {
            joinerSecret,
            pathSecret: r.pathSecret ? { pathSecret: r.pathSecret } : undefined,
            psks: [...psks],
          } satisfies GroupSecrets,
        ),
      })),
      "Welcome",
      encryptedGroupInfo,
    ),
  ]);
  const secrets = refs.map((newMember, i) => ({
    newMember,
    encryptedGroupSecrets: sealed[i],
  }));
  return { cipherSuite: cs.id, secrets, encryptedGroupInfo };
}

/**
 * What a joiner brings to {@link joinFromWelcome}, with its validation
 * settings: `now` (leaf lifetimes are checked when given), `maxLifetime`,
 * `validateCredential`.
 */
export interface JoinInput extends ValidationOptions {
  /** The KeyPackage the Welcome should be for. */
  keyPackage: KeyPackage;
  /** Its init private key. */
  initPrivateKey: Uint8Array;
  /** Its leaf encryption private key. */
  encryptionPrivateKey: Uint8Array;
  /** The joiner's signature private key. */
  signer: SignaturePrivateKey;
  /** The tree, if the Welcome's GroupInfo does not carry it. */
  ratchetTree?: WireTree;
  /** External PSKs and other groups' resumption PSKs. */
  psks?: PskLookup;
  /** Settings for the joined group. */
  config?: Partial<GroupConfig>;
}

/** The joined group, and the resumption PSK ids the Welcome used. */
export interface Joined {
  /** The new state. */
  state: GroupState;
  /** The GroupInfo the joiner was welcomed with. */
  groupInfo: GroupInfo;
  /** The PSK ids in the GroupSecrets (reinit/branch checks are the caller's). */
  psks: PreSharedKeyID[];
}

/** Decrypts the GroupSecrets meant for `keyPackage` (§12.4.3.1). */
export async function openGroupSecrets(
  cs: SuiteCrypto,
  welcome: Welcome,
  keyPackage: KeyPackage,
  initPrivateKey: Uint8Array,
): Promise<GroupSecrets> {
  if (welcome.cipherSuite !== cs.id || keyPackage.cipherSuite !== cs.id) {
    throw new MlsError(
      "cipher_suite_mismatch",
      "the Welcome and the key package use different cipher suites",
      "Welcome.cipherSuite",
    );
  }
  const ref = await keyPackageRef(cs, keyPackage);
  const mine = welcome.secrets.find((s) => bytesEqual(s.newMember, ref));
  if (!mine) {
    throw new MlsError(
      "welcome_not_for_us",
      "the Welcome has no secrets for this key package",
      "Welcome.secrets",
    );
  }
  const plain = await decryptWithLabel(
    cs,
    initPrivateKey,
    "Welcome",
    welcome.encryptedGroupInfo,
    mine.encryptedGroupSecrets.kemOutput,
    mine.encryptedGroupSecrets.ciphertext,
    keyPackage.initKey,
  );
  return decode(groupSecretsCodec, plain, "GroupSecrets");
}

/**
 * Joins a group from a Welcome (§12.4.3.1) with every check the RFC lists:
 * GroupInfo signature, suite, tree hash, full tree validation, our leaf,
 * path secrets against the tree, and the confirmation tag.
 */
export async function joinFromWelcome(
  cs: SuiteCrypto,
  welcome: Welcome,
  input: JoinInput,
): Promise<Joined> {
  const gs = await openGroupSecrets(
    cs,
    welcome,
    input.keyPackage,
    input.initPrivateKey,
  );
  const resumption = gs.psks.filter((p) =>
    p.pskType === PSKType.resumption &&
    p.usage !== ResumptionPSKUsage.application
  );
  if (resumption.length > 1) {
    throw new MlsError(
      "invalid_psk_usage",
      "more than one reinit/branch PSK in a Welcome",
      "GroupSecrets.psks",
    );
  }
  const psks = await resolvePsks(gs.psks, input.psks ?? (() => undefined));
  const pskSecret = await derivePskSecret(cs, psks);
  const welcomeSecret = await deriveWelcomeSecret(
    cs,
    gs.joinerSecret,
    pskSecret,
  );
  const { key, nonce } = await welcomeKeyNonce(cs, welcomeSecret);
  wipe(welcomeSecret);
  let infoBytes: Uint8Array;
  try {
    infoBytes = await cs.aeadOpen(
      key,
      nonce,
      new Uint8Array(0),
      welcome.encryptedGroupInfo,
    );
  } finally {
    wipe(key);
  }
  const info = decode(groupInfoCodec, infoBytes, "GroupInfo");
  const ctx = info.groupContext;
  if (ctx.cipherSuite !== cs.id || ctx.version !== ProtocolVersion.mls10) {
    throw new MlsError(
      "cipher_suite_mismatch",
      "GroupInfo suite or version differs from the key package",
      "GroupInfo.groupContext",
    );
  }
  const tree = await verifiedGroupTree(cs, info, input.ratchetTree, input);
  const myLeafBytes = encode(leafNodeCodec, input.keyPackage.leafNode);
  const myIndex = tree.findLeafBySignatureKey(
    input.keyPackage.leafNode.signatureKey,
  );
  if (
    myIndex === undefined ||
    !bytesEqual(encode(leafNodeCodec, tree.getLeaf(myIndex)!), myLeafBytes)
  ) {
    throw new MlsError(
      "welcome_not_for_us",
      "our key package's leaf is not in the tree",
      "ratchetTree",
    );
  }
  const priv = new PrivateTree(
    myIndex,
    input.encryptionPrivateKey,
    input.keyPackage.leafNode.encryptionKey,
  );
  if (gs.pathSecret) {
    const lca = commonAncestor(leafToNode(myIndex), leafToNode(info.signer));
    await priv.setPathSecretsFrom(cs, tree, lca, gs.pathSecret.pathSecret);
  }
  const contextBytes = encode(groupContextCodec, ctx);
  const secrets = await epochSecretsFromJoiner(
    cs,
    gs.joinerSecret,
    pskSecret,
    contextBytes,
  );
  const tagOk = await verifyConfirmationTag(
    cs,
    secrets.confirmationKey,
    ctx.confirmedTranscriptHash,
    info.confirmationTag,
  );
  if (!tagOk) {
    throw new MlsError(
      "invalid_confirmation_tag",
      "GroupInfo confirmation tag does not verify",
      "GroupInfo.confirmationTag",
    );
  }
  if (resumption.length > 0 && ctx.epoch !== 1n) {
    throw new MlsError(
      "invalid_resumption",
      "a reinit/branch Welcome must be for epoch 1",
      "GroupInfo.groupContext.epoch",
    );
  }
  const interim = await interimTranscriptHash(
    cs,
    ctx.confirmedTranscriptHash,
    info.confirmationTag,
  );
  const config = groupConfig(input.config);
  const keys = epochKeys(secrets);
  const state: GroupState = {
    cs,
    config,
    context: ctx,
    tree,
    privateTree: priv,
    signer: input.signer,
    keys,
    secretTree: SecretTree.create(
      cs,
      secrets.encryptionSecret,
      tree.leafCount,
      config,
    ),
    interimTranscriptHash: interim,
    confirmationTag: info.confirmationTag,
    proposals: new Map(),
    updateKeys: new Map(),
    resumptionPsks: new Map([[ctx.epoch, keys.resumptionPsk]]),
    past: [],
    status: "active",
  };
  wipe(secrets.welcomeSecret);
  return { state, groupInfo: info, psks: gs.psks };
}
