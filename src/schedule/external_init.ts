/**
 * External initialization (RFC 9420 §8.3): a joiner by external commit
 * makes the new epoch's `init_secret` with an HPKE export to the group's
 * external public key, and the members recover it from the ExternalInit
 * proposal's `kem_output` with the external private key:
 *
 * ```text
 * kem_output, context = SetupBaseS(external_pub, "")
 * init_secret = context.export("MLS 1.0 external init secret", KDF.Nh)
 * ```
 *
 * @module
 */

import type { SuiteCrypto } from "../../providers/provider.ts";
import { utf8Encode, wipe } from "../util/bytes.ts";
import { deriveExternalKeyPair } from "./key_schedule.ts";

/** The HPKE exporter context of the external init secret (§8.3). */
const EXTERNAL_INIT_LABEL = "MLS 1.0 external init secret";

/**
 * The joiner's side: the `kem_output` of its ExternalInit proposal and the
 * `init_secret` it gives.
 */
export async function externalInitSender(
  cs: SuiteCrypto,
  externalPub: Uint8Array,
): Promise<{ kemOutput: Uint8Array; initSecret: Uint8Array }> {
  const { kemOutput, secret } = await cs.hpkeExportSender(
    externalPub,
    new Uint8Array(0),
    utf8Encode(EXTERNAL_INIT_LABEL),
    cs.hashLength,
  );
  return { kemOutput, initSecret: secret };
}

/**
 * The members' side: the `init_secret` of an ExternalInit's `kem_output`,
 * with the key pair derived from the epoch's `external_secret` (its
 * private half is wiped once used).
 */
export async function externalInitReceiver(
  cs: SuiteCrypto,
  externalSecret: Uint8Array,
  kemOutput: Uint8Array,
): Promise<Uint8Array> {
  const kp = await deriveExternalKeyPair(cs, externalSecret);
  try {
    return await cs.hpkeExportReceiver(
      kp.privateKey,
      kemOutput,
      new Uint8Array(0),
      utf8Encode(EXTERNAL_INIT_LABEL),
      cs.hashLength,
    );
  } finally {
    wipe(kp.privateKey);
  }
}
