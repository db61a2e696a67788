/**
 * The HPKE KDF and AEAD of a suite, by their RFC 9180 ids: shared by the
 * classic HPKE provider (`hpke.ts`) and the post-quantum one
 * (`pq_hpke.ts`), which differ only in their KEMs.
 *
 * @module
 */

import {
  Aes128Gcm,
  Aes256Gcm,
  HkdfSha256,
  HkdfSha384,
  HkdfSha512,
} from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { MlsError } from "../src/errors.ts";

/** The HPKE KDF of RFC 9180 id `id`. */
export function kdfFor(id: number): HkdfSha256 | HkdfSha384 | HkdfSha512 {
  switch (id) {
    case 0x0001:
      return new HkdfSha256();
    case 0x0002:
      return new HkdfSha384();
    case 0x0003:
      return new HkdfSha512();
  }
  throw new MlsError("unsupported_cipher_suite", `unknown HPKE KDF ${id}`);
}

/** The HPKE AEAD of RFC 9180 id `id`. */
export function aeadFor(
  id: number,
): Aes128Gcm | Aes256Gcm | Chacha20Poly1305 {
  switch (id) {
    case 0x0001:
      return new Aes128Gcm();
    case 0x0002:
      return new Aes256Gcm();
    case 0x0003:
      return new Chacha20Poly1305();
  }
  throw new MlsError("unsupported_cipher_suite", `unknown HPKE AEAD ${id}`);
}
