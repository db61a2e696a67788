/**
 * The cipher suites of RFC 9420 §17.1 and their parameters.
 *
 * @module
 */

/** The parameters of one MLS cipher suite. */
export interface CipherSuiteInfo {
  /** Registry value. */
  id: number;
  /** Registry name. */
  name: string;
  /** HPKE KEM id (RFC 9180 §7.1). */
  kem: number;
  /**
   * HPKE KDF id; MLS's KDF (`KDF.Nh`, Extract, Expand) is the same HKDF.
   * It is the HKDF of `hash` in every suite but ts-mls's provisional ones
   * (`src/crypto/pq_suites.ts`).
   */
  kdf: number;
  /** HPKE AEAD id. */
  aead: number;
  /** Hash function name: MLS's hashes and MACs. */
  hash: "SHA-256" | "SHA-384" | "SHA-512";
  /** Signature scheme name (TLS SignatureScheme). */
  signature:
    | "ed25519"
    | "ed448"
    | "ecdsa_secp256r1_sha256"
    | "ecdsa_secp384r1_sha384"
    | "ecdsa_secp521r1_sha512"
    | "mldsa44"
    | "mldsa65"
    | "mldsa87";
}

/** All seven suites defined by RFC 9420, keyed by id. */
export const CIPHER_SUITES: Readonly<Record<number, CipherSuiteInfo>> = {
  1: {
    id: 1,
    name: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
    kem: 0x0020,
    kdf: 0x0001,
    aead: 0x0001,
    hash: "SHA-256",
    signature: "ed25519",
  },
  2: {
    id: 2,
    name: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
    kem: 0x0010,
    kdf: 0x0001,
    aead: 0x0001,
    hash: "SHA-256",
    signature: "ecdsa_secp256r1_sha256",
  },
  3: {
    id: 3,
    name: "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
    kem: 0x0020,
    kdf: 0x0001,
    aead: 0x0003,
    hash: "SHA-256",
    signature: "ed25519",
  },
  4: {
    id: 4,
    name: "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
    kem: 0x0021,
    kdf: 0x0003,
    aead: 0x0002,
    hash: "SHA-512",
    signature: "ed448",
  },
  5: {
    id: 5,
    name: "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
    kem: 0x0012,
    kdf: 0x0003,
    aead: 0x0002,
    hash: "SHA-512",
    signature: "ecdsa_secp521r1_sha512",
  },
  6: {
    id: 6,
    name: "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
    kem: 0x0021,
    kdf: 0x0003,
    aead: 0x0003,
    hash: "SHA-512",
    signature: "ed448",
  },
  7: {
    id: 7,
    name: "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
    kem: 0x0011,
    kdf: 0x0002,
    aead: 0x0002,
    hash: "SHA-384",
    signature: "ecdsa_secp384r1_sha384",
  },
};
