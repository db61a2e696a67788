/**
 * `Welcome` and `EncryptedGroupSecrets` (RFC 9420 §12.4.3.1).
 *
 * @module
 */

import { type Codec, opaqueView, struct, vector } from "../codec/codec.ts";
import { type CipherSuite, cipherSuiteCodec } from "./protocol_version.ts";
import { type HPKECiphertext, hpkeCiphertextCodec } from "./update_path.ts";

/** `EncryptedGroupSecrets` (§12.4.3.1): one new member's secrets. */
export interface EncryptedGroupSecrets {
  /** `KeyPackageRef new_member`: `opaque HashReference<V>` */
  newMember: Uint8Array;
  /** `HPKECiphertext encrypted_group_secrets` */
  encryptedGroupSecrets: HPKECiphertext;
}

/** `EncryptedGroupSecrets` */
export const encryptedGroupSecretsCodec: Codec<EncryptedGroupSecrets> = struct<
  EncryptedGroupSecrets
>({
  newMember: opaqueView,
  encryptedGroupSecrets: hpkeCiphertextCodec,
});

/** `Welcome` (§12.4.3.1). */
export interface Welcome {
  /** `CipherSuite cipher_suite` */
  cipherSuite: CipherSuite;
  /** `EncryptedGroupSecrets secrets<V>` */
  secrets: EncryptedGroupSecrets[];
  /** `opaque encrypted_group_info<V>` */
  encryptedGroupInfo: Uint8Array;
}

/**
 * `Welcome`; the references and ciphertexts are decoded as views of the
 * decoder's input copy (read once, never kept).
 */
export const welcomeCodec: Codec<Welcome> = struct<Welcome>({
  cipherSuite: cipherSuiteCodec,
  secrets: vector(encryptedGroupSecretsCodec),
  encryptedGroupInfo: opaqueView,
});
