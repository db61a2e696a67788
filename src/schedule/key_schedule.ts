/**
 * The MLS key schedule (RFC 9420 §8, Figure 22): from the previous epoch's
 * `init_secret`, the `commit_secret`, the `psk_secret` and the encoded
 * GroupContext of the new epoch, the joiner, welcome and epoch secrets and
 * everything derived from the epoch secret.
 *
 * Inputs are never modified; intermediate secrets that no caller can see
 * (the extracted values and `epoch_secret`) are wiped once used (§9.2).
 * The caller owns every returned buffer and wipes the ones it consumes.
 *
 * @module
 */

import type { HpkeKeyPair, SuiteCrypto } from "../../providers/provider.ts";
import { deriveSecret, expandWithLabel, kdfLabel } from "../crypto/labeled.ts";
import { wipe } from "../util/bytes.ts";
import type { RatchetKeyNonce } from "./secret_tree.ts";

/** The secrets of one epoch (§8, Table 4), plus the next `init_secret`. */
export interface EpochSecrets {
  /** `joiner_secret`: sent to new members in GroupSecrets. */
  joinerSecret: Uint8Array;
  /** `welcome_secret`: keys the GroupInfo of a Welcome (§12.4.3.1). */
  welcomeSecret: Uint8Array;
  /** `sender_data_secret` (label "sender data"). */
  senderDataSecret: Uint8Array;
  /**
   * `encryption_secret` (label "encryption"): the secret tree root.
   * `SecretTree.create` takes ownership of it and wipes it once used.
   */
  encryptionSecret: Uint8Array;
  /** `exporter_secret` (label "exporter"), for MLS-Exporter (§8.5). */
  exporterSecret: Uint8Array;
  /** `external_secret` (label "external"), for the external key (§8.3). */
  externalSecret: Uint8Array;
  /** `confirmation_key` (label "confirm"). */
  confirmationKey: Uint8Array;
  /** `membership_key` (label "membership"). */
  membershipKey: Uint8Array;
  /** `resumption_psk` (label "resumption"), §8.6. */
  resumptionPsk: Uint8Array;
  /** `epoch_authenticator` (label "authentication"), §8.7. */
  epochAuthenticator: Uint8Array;
  /** `init_secret_[n]`: the init secret of the next epoch. */
  initSecret: Uint8Array;
}

/** The inputs of one key-schedule step (§8). */
export interface KeyScheduleInput {
  /** `init_secret_[n-1]`: the previous epoch's, the initial random one, or
   * the external init secret (§8.3). */
  initSecret: Uint8Array;
  /** `commit_secret`, or `KDF.Nh` zero bytes without a path. */
  commitSecret: Uint8Array;
  /** `psk_secret` (§8.4); `KDF.Nh` zero bytes when omitted. */
  pskSecret?: Uint8Array;
  /** The TLS-encoded GroupContext of the new epoch. */
  groupContext: Uint8Array;
}

/**
 * `joiner_secret = ExpandWithLabel(KDF.Extract(init_secret, commit_secret),
 * "joiner", GroupContext_[n], KDF.Nh)` (§8).
 */
export function deriveJoinerSecret(
  cs: SuiteCrypto,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  groupContext: Uint8Array,
): Promise<Uint8Array> {
  return extractExpandWithLabel(
    cs,
    initSecret,
    commitSecret,
    "joiner",
    groupContext,
  );
}

/**
 * `ExpandWithLabel(KDF.Extract(salt, ikm), label, context, KDF.Nh)`: one
 * HKDF call where the provider has {@link SuiteCrypto.kdfExtractExpand},
 * else Extract then Expand (the extracted value wiped).
 */
async function extractExpandWithLabel(
  cs: SuiteCrypto,
  salt: Uint8Array,
  ikm: Uint8Array,
  label: string,
  context: Uint8Array,
): Promise<Uint8Array> {
  const nh = cs.hashLength;
  if (cs.kdfExtractExpand) {
    return await cs.kdfExtractExpand(
      salt,
      ikm,
      kdfLabel(label, context, nh),
      nh,
    );
  }
  const prk = await cs.kdfExtract(salt, ikm);
  try {
    return await expandWithLabel(cs, prk, label, context, nh);
  } finally {
    wipe(prk);
  }
}

/**
 * `welcome_secret = DeriveSecret(KDF.Extract(joiner_secret, psk_secret),
 * "welcome")` (§8): what a new member needs before it knows the
 * GroupContext, to decrypt the Welcome's GroupInfo.
 */
export async function deriveWelcomeSecret(
  cs: SuiteCrypto,
  joinerSecret: Uint8Array,
  pskSecret?: Uint8Array,
): Promise<Uint8Array> {
  return await extractExpandWithLabel(
    cs,
    joinerSecret,
    pskSecret ?? new Uint8Array(cs.hashLength),
    "welcome",
    new Uint8Array(0),
  );
}

/**
 * The `welcome_key` and `welcome_nonce` that encrypt a Welcome's GroupInfo
 * (§12.4.3.1).
 */
export async function welcomeKeyNonce(
  cs: SuiteCrypto,
  welcomeSecret: Uint8Array,
): Promise<RatchetKeyNonce> {
  const empty = new Uint8Array(0);
  const [key, nonce] = await Promise.all([
    expandWithLabel(cs, welcomeSecret, "key", empty, cs.aeadKeyLength),
    expandWithLabel(cs, welcomeSecret, "nonce", empty, cs.aeadNonceLength),
  ]);
  return { key, nonce };
}

/**
 * The epoch secrets from a known `joiner_secret` (§8): the Welcome case,
 * where a new member receives the joiner secret but not the init secret.
 * `joinerSecret` is returned as given (not copied) in the result.
 */
export async function epochSecretsFromJoiner(
  cs: SuiteCrypto,
  joinerSecret: Uint8Array,
  pskSecret: Uint8Array | undefined,
  groupContext: Uint8Array,
): Promise<EpochSecrets> {
  // member_secret = Extract(joiner_secret, psk_secret) feeds both: one
  // HKDF input (the PSK secret), two derivations.
  const psk = pskSecret ?? new Uint8Array(cs.hashLength);
  const [welcomeSecret, epochSecret] = await Promise.all([
    extractExpandWithLabel(cs, joinerSecret, psk, "welcome", new Uint8Array(0)),
    extractExpandWithLabel(cs, joinerSecret, psk, "epoch", groupContext),
  ]);
  try {
    const d = (label: string) => deriveSecret(cs, epochSecret, label);
    const [
      senderDataSecret,
      encryptionSecret,
      exporterSecret,
      externalSecret,
      confirmationKey,
      membershipKey,
      resumptionPsk,
      epochAuthenticator,
      initSecret,
    ] = await Promise.all([
      d("sender data"),
      d("encryption"),
      d("exporter"),
      d("external"),
      d("confirm"),
      d("membership"),
      d("resumption"),
      d("authentication"),
      d("init"),
    ]);
    return {
      joinerSecret,
      welcomeSecret,
      senderDataSecret,
      encryptionSecret,
      exporterSecret,
      externalSecret,
      confirmationKey,
      membershipKey,
      resumptionPsk,
      epochAuthenticator,
      initSecret,
    };
  } finally {
    wipe(epochSecret);
  }
}

/** One full key-schedule step (§8): joiner secret, then the epoch. */
export async function deriveEpochSecrets(
  cs: SuiteCrypto,
  input: KeyScheduleInput,
): Promise<EpochSecrets> {
  const joiner = await deriveJoinerSecret(
    cs,
    input.initSecret,
    input.commitSecret,
    input.groupContext,
  );
  return epochSecretsFromJoiner(
    cs,
    joiner,
    input.pskSecret,
    input.groupContext,
  );
}

/**
 * The group's external key pair, `KEM.DeriveKeyPair(external_secret)`
 * (§8): its public half goes into the `external_pub` GroupInfo extension.
 */
export function deriveExternalKeyPair(
  cs: SuiteCrypto,
  externalSecret: Uint8Array,
): Promise<HpkeKeyPair> {
  return cs.hpkeDeriveKeyPair(externalSecret);
}
