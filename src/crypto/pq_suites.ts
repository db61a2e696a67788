/**
 * Post-quantum cipher suites and the code points that name them.
 *
 * Three sources define post-quantum MLS suites, and their numbers clash:
 *
 * - draft-ietf-mls-pq-ciphersuites-06 (§3.1, Tables 1 and 2) defines eleven
 *   suites but leaves their values to IANA ("TBD1" to "TBD11"). Until IANA
 *   assigns them, webmls numbers them in the Private Use range of the MLS
 *   cipher-suite registry (RFC 9420 §17.1): TBDn is `0xF000 + n`.
 * - ts-mls 1.6.4 numbers its twelve suites 77 to 88. They are not the
 *   draft's suites: every one uses HKDF-SHA512 as HPKE and MLS KDF, 77 uses
 *   AES-256-GCM although its name says AES128GCM, and 77 to 80 hash with
 *   SHA-256 or SHA-384 while their KDF is HKDF-SHA512.
 * - OpenMLS numbers X-Wing with ChaCha20-Poly1305, SHA-256 and Ed25519
 *   0x004D (77, ts-mls's first suite) from the expired draft-mahy-mls-xwing.
 *
 * A {@link CodePoints} choice picks one numbering; the default is
 * `"draft"`. Each suite keeps its name in every numbering.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import { CIPHER_SUITES, type CipherSuiteInfo } from "./cipher_suites.ts";

/** HPKE KEM ids of the post-quantum KEMs (draft-ietf-hpke-pq-05 §8). */
export const PQ_KEM = {
  mlKem512: 0x0040,
  mlKem768: 0x0041,
  mlKem1024: 0x0042,
  /** X-Wing, also named MLKEM768-X25519. */
  xWing: 0x647a,
} as const;

/** A suite's primitives: {@link CipherSuiteInfo} without its id and name. */
export type PqSuiteParams = Omit<CipherSuiteInfo, "id" | "name">;

type Params = PqSuiteParams;

const X = PQ_KEM.xWing;
const K512 = PQ_KEM.mlKem512;
const K768 = PQ_KEM.mlKem768;
const K1024 = PQ_KEM.mlKem1024;
const AES128 = 0x0001, AES256 = 0x0002, CHACHA = 0x0003;
const HKDF256 = 0x0001, HKDF384 = 0x0002, HKDF512 = 0x0003;

function p(
  kem: number,
  kdf: number,
  aead: number,
  hash: Params["hash"],
  signature: Params["signature"],
): Params {
  return { kem, kdf, aead, hash, signature };
}

/**
 * Every post-quantum suite webmls can run, by name, with its primitives.
 * Missing: the draft's suites on the MLKEM768-P256 and MLKEM1024-P384
 * hybrid KEMs (TBD3 to TBD5), which no maintained JS package implements.
 */
export const PQ_SUITES: Readonly<Record<string, PqSuiteParams>> = Object.freeze(
  {
    // draft-ietf-mls-pq-ciphersuites-06 §3.1
    MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519: p(
      X,
      HKDF256,
      AES128,
      "SHA-256",
      "ed25519",
    ),
    MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519: p(
      X,
      HKDF384,
      AES256,
      "SHA-384",
      "ed25519",
    ),
    MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519: p(
      K768,
      HKDF384,
      AES256,
      "SHA-384",
      "ed25519",
    ),
    MLS_128_MLKEM768_AES256GCM_SHA384_P256: p(
      K768,
      HKDF384,
      AES256,
      "SHA-384",
      "ecdsa_secp256r1_sha256",
    ),
    MLS_192_MLKEM1024_AES256GCM_SHA384_P384: p(
      K1024,
      HKDF384,
      AES256,
      "SHA-384",
      "ecdsa_secp384r1_sha384",
    ),
    MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44: p(
      X,
      HKDF384,
      CHACHA,
      "SHA-384",
      "mldsa44",
    ),
    MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65: p(
      K768,
      HKDF384,
      AES256,
      "SHA-384",
      "mldsa65",
    ),
    MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87: p(
      K1024,
      HKDF384,
      AES256,
      "SHA-384",
      "mldsa87",
    ),
    // ts-mls 1.6.4, src/crypto/ciphersuite.ts
    MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519: p(
      K512,
      HKDF512,
      AES256,
      "SHA-256",
      "ed25519",
    ),
    MLS_128_MLKEM512_CHACHA20POLY1305_SHA256_Ed25519: p(
      K512,
      HKDF512,
      CHACHA,
      "SHA-256",
      "ed25519",
    ),
    MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519: p(
      K768,
      HKDF512,
      AES256,
      "SHA-384",
      "ed25519",
    ),
    MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519: p(
      K768,
      HKDF512,
      CHACHA,
      "SHA-384",
      "ed25519",
    ),
    MLS_256_MLKEM1024_AES256GCM_SHA512_Ed25519: p(
      K1024,
      HKDF512,
      AES256,
      "SHA-512",
      "ed25519",
    ),
    MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_Ed25519: p(
      K1024,
      HKDF512,
      CHACHA,
      "SHA-512",
      "ed25519",
    ),
    MLS_256_XWING_AES256GCM_SHA512_Ed25519: p(
      X,
      HKDF512,
      AES256,
      "SHA-512",
      "ed25519",
    ),
    MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519: p(
      X,
      HKDF512,
      CHACHA,
      "SHA-512",
      "ed25519",
    ),
    MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87: p(
      K1024,
      HKDF512,
      AES256,
      "SHA-512",
      "mldsa87",
    ),
    MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_MLDSA87: p(
      K1024,
      HKDF512,
      CHACHA,
      "SHA-512",
      "mldsa87",
    ),
    MLS_256_XWING_AES256GCM_SHA512_MLDSA87: p(
      X,
      HKDF512,
      AES256,
      "SHA-512",
      "mldsa87",
    ),
    MLS_256_XWING_CHACHA20POLY1305_SHA512_MLDSA87: p(
      X,
      HKDF512,
      CHACHA,
      "SHA-512",
      "mldsa87",
    ),
    // OpenMLS (draft-mahy-mls-xwing)
    MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519: p(
      X,
      HKDF256,
      CHACHA,
      "SHA-256",
      "ed25519",
    ),
  },
);

/** The numberings webmls knows, suite name to code point. */
export const CODE_POINTS: Readonly<
  Record<"draft" | "ts-mls" | "openmls", Readonly<Record<string, number>>>
> = Object.freeze({
  draft: Object.freeze({
    MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519: 0xf001,
    MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519: 0xf002,
    MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519: 0xf006,
    MLS_128_MLKEM768_AES256GCM_SHA384_P256: 0xf007,
    MLS_192_MLKEM1024_AES256GCM_SHA384_P384: 0xf008,
    MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44: 0xf009,
    MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65: 0xf00a,
    MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87: 0xf00b,
  }),
  "ts-mls": Object.freeze({
    MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519: 77,
    MLS_128_MLKEM512_CHACHA20POLY1305_SHA256_Ed25519: 78,
    MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519: 79,
    MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519: 80,
    MLS_256_MLKEM1024_AES256GCM_SHA512_Ed25519: 81,
    MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_Ed25519: 82,
    MLS_256_XWING_AES256GCM_SHA512_Ed25519: 83,
    MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519: 84,
    MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87: 85,
    MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_MLDSA87: 86,
    MLS_256_XWING_AES256GCM_SHA512_MLDSA87: 87,
    MLS_256_XWING_CHACHA20POLY1305_SHA512_MLDSA87: 88,
  }),
  openmls: Object.freeze({
    MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519: 0x004d,
  }),
});

/**
 * How post-quantum suites are numbered: one of {@link CODE_POINTS}'
 * numberings, or a map of suite names (keys of {@link PQ_SUITES}) to code
 * points of the application's choice.
 */
export type CodePoints =
  | "draft"
  | "ts-mls"
  | "openmls"
  | Readonly<Record<string, number>>;

function invalid(message: string): MlsError {
  return new MlsError("invalid_argument", message, "codePoints");
}

/**
 * The seven RFC 9420 suites plus the post-quantum suites under one
 * numbering, keyed by code point. Throws `invalid_argument` for a custom
 * numbering that names an unknown suite, reuses a code point or takes one
 * of RFC 9420's.
 *
 * @param codePoints the numbering (default `"draft"`)
 * @returns the suite table
 */
export function suiteTable(
  codePoints: CodePoints = "draft",
): Readonly<Record<number, CipherSuiteInfo>> {
  const numbering = typeof codePoints === "string"
    ? CODE_POINTS[codePoints]
    : codePoints;
  if (numbering === undefined || typeof numbering !== "object") {
    throw invalid(`unknown numbering ${String(codePoints)}`);
  }
  const table: Record<number, CipherSuiteInfo> = { ...CIPHER_SUITES };
  for (const [name, id] of Object.entries(numbering)) {
    const params = PQ_SUITES[name];
    if (!Object.hasOwn(PQ_SUITES, name)) {
      throw invalid(`unknown post-quantum suite ${name}`);
    }
    if (!Number.isInteger(id) || id < 1 || id > 0xffff || id in table) {
      throw invalid(`code point ${id} of ${name} is taken or out of range`);
    }
    table[id] = Object.freeze({ id, name, ...params });
  }
  return Object.freeze(table);
}

/**
 * The code point of the suite named `name` in `table`, if it has one.
 *
 * @param table a table from {@link suiteTable}
 * @param name a suite name such as `"MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"`
 * @returns its code point, or undefined
 */
export function suiteIdOf(
  table: Readonly<Record<number, CipherSuiteInfo>>,
  name: string,
): number | undefined {
  return Object.values(table).find((s) => s.name === name)?.id;
}

/**
 * Whether `name` is one of draft-ietf-mls-pq-ciphersuites' suites, whose
 * KEMs follow draft-ietf-hpke-pq (its labeled `DeriveKeyPair`), rather than
 * ts-mls's or OpenMLS's, which follow `@hpke/*`.
 *
 * @param name a suite name
 * @returns true for the draft's suites
 */
export function isDraftSuite(name: string): boolean {
  return Object.hasOwn(CODE_POINTS.draft, name);
}

/**
 * Whether `name` names a suite webmls knows under some numbering.
 *
 * @param name the name to look up
 * @returns true for RFC 9420's and the post-quantum suites' names
 */
export function isSuiteName(name: string): boolean {
  return Object.hasOwn(PQ_SUITES, name) ||
    Object.values(CIPHER_SUITES).some((s) => s.name === name);
}
