/**
 * WebCrypto keys from the MLS exporter (RFC 9420 §8.5): the explainer asks
 * whether the API should "interact directly with WebCrypto" — here it
 * does. `GroupView.exportKey` derives `MLS-Exporter(label, context,
 * length)` with the length the algorithm needs and imports it as a
 * non-extractable `CryptoKey`; the bytes are wiped once imported, so the
 * application never holds them. Every member of the epoch derives the
 * same key, usable directly with `crypto.subtle`.
 *
 * @module
 */

import { MlsError } from "../errors.ts";
import type { GroupState } from "../group/state.ts";
import { mlsExporter } from "../schedule/exporter.ts";
import { wipe } from "../util/bytes.ts";
import {
  checkArray,
  checkInteger,
  checkObject,
  checkOneOf,
  checkString,
  checkTextOrBytes,
  invalid,
  optional,
} from "./args.ts";

/** The algorithms `exportKey` makes keys for. */
const AES = ["AES-GCM", "AES-CBC", "AES-CTR", "AES-KW"] as const;
const HASHES = ["SHA-256", "SHA-384", "SHA-512"] as const;
const HASH_BYTES: Record<string, number> = {
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

/**
 * The algorithm of an exported key: a name (`"AES-GCM"`, `"AES-CBC"`,
 * `"AES-CTR"`, `"AES-KW"`: 256-bit; `"HMAC"`: SHA-256 with a 32-byte key;
 * `"HKDF"`: a base key of the group's hash length) or WebCrypto's import
 * parameters (`{ name: "AES-GCM", length: 128 }`,
 * `{ name: "HMAC", hash: "SHA-512" }`).
 */
export type ExportKeyAlgorithm =
  | "AES-GCM"
  | "AES-CBC"
  | "AES-CTR"
  | "AES-KW"
  | "HMAC"
  | "HKDF"
  | {
    readonly name: "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW";
    readonly length?: 128 | 256;
  }
  | {
    readonly name: "HMAC";
    readonly hash?: "SHA-256" | "SHA-384" | "SHA-512";
  }
  | { readonly name: "HKDF" };

/** What to import: WebCrypto's parameters and the key length in bytes. */
interface KeySpec {
  params: AlgorithmIdentifier | HmacImportParams;
  bytes: number;
}

function keySpec(value: unknown, hashLength: number): KeySpec {
  const f = "algorithm";
  const o = typeof value === "string" ? { name: value } : checkObject(value, f);
  const name = checkOneOf(o.name, `${f}.name`, [...AES, "HMAC", "HKDF"]);
  if (name === "HKDF") return { params: "HKDF", bytes: hashLength };
  if (name === "HMAC") {
    const hash = optional(
      o.hash,
      `${f}.hash`,
      (v, field) => checkOneOf(v, field, [...HASHES]),
    ) ?? "SHA-256";
    return { params: { name, hash }, bytes: HASH_BYTES[hash] };
  }
  const bits = optional(o.length, `${f}.length`, (v, field) => {
    const n = checkInteger(v, field, 128, 256);
    return n === 128 || n === 256 ? n : invalid(field, "128 or 256", v);
  }) ?? 256;
  return { params: name, bytes: bits / 8 };
}

/**
 * A non-extractable `CryptoKey` for `algorithm` and `usages` from the
 * exporter of `state`'s epoch: its bytes are exactly
 * `MLS-Exporter(label, context, length)` (as `exportSecret`), so use a
 * label of its own per algorithm.
 *
 * @example
 * ```ts ignore
 * const key = await exportKeyOf(state, "chat files", "file-1", "AES-GCM", ["encrypt", "decrypt"]);
 * ```
 */
export async function exportKeyOf(
  state: GroupState,
  label: unknown,
  context: unknown,
  algorithm: unknown,
  usages: unknown,
): Promise<CryptoKey> {
  const l = checkString(label, "label");
  const ctx = checkTextOrBytes(context, "context");
  const spec = keySpec(algorithm, state.cs.hashLength);
  const uses = checkArray(usages, "usages").map((u, i) =>
    checkString(u, `usages.${i}`) as KeyUsage
  );
  const raw = await mlsExporter(
    state.cs,
    state.keys.exporterSecret,
    l,
    ctx,
    spec.bytes,
  );
  try {
    // A fresh buffer of the exporter's (typed for WebCrypto's BufferSource).
    const data = raw as Uint8Array<ArrayBuffer>;
    return await crypto.subtle.importKey("raw", data, spec.params, false, uses);
  } catch (e) {
    // WebCrypto refuses usages the algorithm does not have (or none).
    throw new MlsError(
      "invalid_argument",
      `usages must be usages of the algorithm: ${(e as Error).message}`,
      "usages",
      { cause: e },
    );
  } finally {
    wipe(raw);
  }
}
