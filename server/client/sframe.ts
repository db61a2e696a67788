/**
 * SFrame keys from an MLS group (RFC 9605 §5.2): the exporter secret
 * `base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk)` of an
 * epoch, the KID of a sender (`context << (S + E) | index << E | epoch mod
 * 2^E`), and the `sframe_key` / `sframe_salt` of a KID (§4.4.2, HKDF with
 * the SFrame suite's hash, through WebCrypto). Members get `base_key` with
 * `exportSecret`; a consumer of the key export service gets it opened from
 * its sealed export (grant it with {@link sframeExport}).
 *
 * @module
 */

import { MlsError } from "../../src/errors.ts";
import { utf8Encode } from "../../src/util/bytes.ts";

/** The exporter label of an SFrame base key (RFC 9605 §5.2). */
export const SFRAME_BASE_KEY_LABEL = "SFrame 1.0 Base Key";

/** An SFrame cipher suite's parameters (RFC 9605 §4.5, §8.1). */
interface SframeSuite {
  /** `AEAD.Nk` */
  readonly nk: number;
  /** `AEAD.Nn` */
  readonly nn: number;
  /** The HKDF hash. */
  readonly hash: "SHA-256" | "SHA-512";
}

/** RFC 9605's cipher suites 1 to 5 (the CTR suites' key is enc + auth). */
const SUITES: Record<number, SframeSuite> = {
  1: { nk: 48, nn: 12, hash: "SHA-256" }, // AES_128_CTR_HMAC_SHA256_80
  2: { nk: 48, nn: 12, hash: "SHA-256" }, // AES_128_CTR_HMAC_SHA256_64
  3: { nk: 48, nn: 12, hash: "SHA-256" }, // AES_128_CTR_HMAC_SHA256_32
  4: { nk: 16, nn: 12, hash: "SHA-256" }, // AES_128_GCM_SHA256_128
  5: { nk: 32, nn: 12, hash: "SHA-512" }, // AES_256_GCM_SHA512_128
};

function suiteOf(suite: number): SframeSuite {
  const s = SUITES[suite];
  if (!s) {
    throw new MlsError(
      "invalid_argument",
      "an SFrame cipher suite from 1 to 5 (RFC 9605 §8.1)",
      "suite",
    );
  }
  return s;
}

/**
 * The export grant that gives a consumer an SFrame suite's base key (for
 * `authorizeConsumer`'s `exports`): label `"SFrame 1.0 Base Key"`, empty
 * context, `AEAD.Nk` bytes.
 *
 * @example
 * ```ts
 * import { sframeExport } from "@webmls/mls/export";
 * console.log(sframeExport(4)); // { label: "SFrame 1.0 Base Key", context: "", length: 16 }
 * ```
 */
export function sframeExport(
  suite: number,
): { label: string; context: string; length: number } {
  return {
    label: SFRAME_BASE_KEY_LABEL,
    context: "",
    length: suiteOf(suite).nk,
  };
}

/** How a KID is laid out (RFC 9605 §5.2). */
export interface SframeKidLayout {
  /** `E`: the low bits of the epoch carried (1 to 32). */
  readonly epochBits: number;
  /** `S`: bits of the sender index (`group size < 2^S`). */
  readonly indexBits: number;
}

/**
 * The KID of sender `index` in `epoch`: `(context << (S + E)) + (index <<
 * E) + (epoch mod 2^E)` (RFC 9605 §5.2); it must fit in 64 bits.
 *
 * @example
 * ```ts
 * import { sframeKeyId } from "@webmls/mls/export";
 * // RFC 9605 Figure 7 (S = 6, E = 4): epoch 16, index 2, context 3.
 * console.log(sframeKeyId(16n, 2, { epochBits: 4, indexBits: 6 }, 3n)); // 3104n (0xc20)
 * ```
 */
export function sframeKeyId(
  epoch: bigint,
  index: number,
  layout: SframeKidLayout,
  context = 0n,
): bigint {
  const E = BigInt(layout.epochBits);
  const S = BigInt(layout.indexBits);
  const bad = (field: string, expected: string) => {
    throw new MlsError(
      "invalid_argument",
      `${field} must be ${expected}`,
      field,
    );
  };
  if (layout.epochBits < 1 || layout.epochBits > 32) {
    bad("epochBits", "1 to 32");
  }
  if (layout.indexBits < 0 || layout.indexBits > 32) {
    bad("indexBits", "0 to 32");
  }
  if (!Number.isInteger(index) || index < 0 || BigInt(index) >= 1n << S) {
    bad("index", "an integer below 2^indexBits");
  }
  if (epoch < 0n) bad("epoch", "non-negative");
  if (context < 0n || context >= 1n << (64n - S - E)) {
    bad("context", "below 2^(64 - indexBits - epochBits)");
  }
  return (context << (S + E)) + (BigInt(index) << E) + (epoch % (1n << E));
}

function label(kind: "key" | "salt", kid: bigint, suite: number): Uint8Array {
  const head = utf8Encode(`SFrame 1.0 Secret ${kind} `);
  const out = new Uint8Array(head.length + 10);
  out.set(head);
  const v = new DataView(out.buffer);
  v.setBigUint64(head.length, kid);
  v.setUint16(head.length + 8, suite);
  return out;
}

/**
 * `derive_key_salt(KID, base_key)` of RFC 9605 §4.4.2 for SFrame cipher
 * suite `suite`: `sframe_key` (`AEAD.Nk` bytes) and `sframe_salt`
 * (`AEAD.Nn`), by HKDF (WebCrypto) with the suite's hash.
 *
 * @example
 * ```ts
 * import { sframeKeyAndSalt } from "@webmls/mls/export";
 * const base = new Uint8Array(16);
 * const { key, salt } = await sframeKeyAndSalt(base, 0x123n, 4);
 * console.log(key.length, salt.length); // 16 12
 * ```
 */
export async function sframeKeyAndSalt(
  baseKey: Uint8Array,
  kid: bigint,
  suite: number,
): Promise<{ key: Uint8Array<ArrayBuffer>; salt: Uint8Array<ArrayBuffer> }> {
  const s = suiteOf(suite);
  if (kid < 0n || kid >= 1n << 64n) {
    throw new MlsError("invalid_argument", "kid must fit in 64 bits", "kid");
  }
  const ikm = await crypto.subtle.importKey(
    "raw",
    baseKey as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    ["deriveBits"],
  );
  const expand = async (info: Uint8Array, bytes: number) =>
    new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: "HKDF",
          hash: s.hash,
          salt: new Uint8Array(0),
          info: info as Uint8Array<ArrayBuffer>,
        },
        ikm,
        bytes * 8,
      ),
    );
  return {
    key: await expand(label("key", kid, suite), s.nk),
    salt: await expand(label("salt", kid, suite), s.nn),
  };
}
