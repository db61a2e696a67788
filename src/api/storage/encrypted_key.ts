/**
 * The application key of an {@link EncryptedStorage} and the record that
 * lets a store be reopened with it: which key derivation (none, or PBKDF2
 * from a passphrase with its salt and iteration count) and a key check, so
 * that a wrong key or passphrase is refused when the store is opened rather
 * than on the first read. All cryptography is WebCrypto's.
 *
 * The record (`encrypted-storage/meta`, bytes):
 *
 * ```text
 * uint8  version = 1
 * uint8  kdf            0: the key as given, 1: PBKDF2-HMAC-SHA-256
 * uint32 iterations     (0 when kdf = 0)
 * uint8  salt_length; opaque salt[salt_length]   (empty when kdf = 0)
 * opaque check[12 + 16] nonce, then AES-GCM(key, nonce, "", CHECK_AD) tag
 * ```
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import { utf8Encode, wipe } from "../../util/bytes.ts";

/** The storage key of the record; hidden from the wrapper's users. */
export const META_KEY = "encrypted-storage/meta";
/** Keys under this prefix belong to the wrapper. */
export const RESERVED_PREFIX = "encrypted-storage/";

/**
 * PBKDF2-HMAC-SHA-256 iterations for a new passphrase-protected store:
 * OWASP's current recommendation (Password Storage Cheat Sheet, 2023+).
 */
export const DEFAULT_ITERATIONS = 600_000;
/** Fewer iterations than this are refused. */
export const MIN_ITERATIONS = 100_000;
/** Bytes of the random PBKDF2 salt. */
const SALT_BYTES = 16;
/** Bytes of an AES-GCM nonce. */
export const NONCE_BYTES = 12;
/** Bytes of an AES-GCM tag. */
export const TAG_BYTES = 16;

const META_VERSION = 1;
const KDF_NONE = 0;
const KDF_PBKDF2 = 1;
const CHECK_AD = utf8Encode("webmls encrypted storage key check v1");

/** Where the key of an {@link EncryptedStorage} comes from: exactly one. */
export interface EncryptedStorageOptions {
  /**
   * An AES-GCM `CryptoKey` (usages `encrypt` and `decrypt`), best a
   * non-extractable one: in browsers from `openAppKey()`, which keeps it
   * in IndexedDB.
   */
  key?: CryptoKey;
  /** A raw AES key, 16 or 32 bytes (imported as non-extractable). */
  rawKey?: Uint8Array;
  /**
   * A passphrase (Unicode-normalized to NFC), stretched by
   * PBKDF2-HMAC-SHA-256 with a random salt kept in the store.
   */
  passphrase?: string;
  /**
   * PBKDF2 iterations when a passphrase-protected store is created
   * (default {@link DEFAULT_ITERATIONS}, at least {@link MIN_ITERATIONS});
   * an existing store keeps the count it was created with.
   */
  iterations?: number;
}

/** The parsed key record. */
export interface KeyRecord {
  /** 0: the key as given; 1: PBKDF2. */
  kdf: number;
  /** PBKDF2 iterations. */
  iterations: number;
  /** PBKDF2 salt. */
  salt: Uint8Array;
  /** Nonce and tag of the key check. */
  check: Uint8Array;
}

/** Bytes as WebCrypto's signatures type them (an assertion, not a copy). */
export function ab(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

function bad(message: string, field: string): MlsError {
  return new MlsError("invalid_argument", message, field);
}

/** Which source `options` name; checks there is exactly one. */
export function keySource(
  options: EncryptedStorageOptions,
): "key" | "rawKey" | "passphrase" {
  if (typeof options !== "object" || options === null) {
    throw bad("expected { key }, { rawKey } or { passphrase }", "options");
  }
  const given = (["key", "rawKey", "passphrase"] as const).filter((k) =>
    options[k] !== undefined
  );
  if (given.length !== 1) {
    throw bad("give exactly one of key, rawKey, passphrase", "options");
  }
  const source = given[0];
  if (source === "key") {
    const k = options.key as CryptoKey;
    const ok = typeof CryptoKey !== "undefined" && k instanceof CryptoKey &&
      k.algorithm.name === "AES-GCM" && k.usages.includes("encrypt") &&
      k.usages.includes("decrypt");
    if (!ok) throw bad("an AES-GCM key for encrypt and decrypt", "key");
  } else if (source === "rawKey") {
    const r = options.rawKey;
    if (!(r instanceof Uint8Array) || (r.length !== 16 && r.length !== 32)) {
      throw bad("16 or 32 bytes", "rawKey");
    }
  } else if (
    typeof options.passphrase !== "string" || options.passphrase === ""
  ) {
    throw bad("a non-empty string", "passphrase");
  }
  const it = options.iterations;
  if (
    it !== undefined &&
    (source !== "passphrase" || !Number.isSafeInteger(it) ||
      it < MIN_ITERATIONS || it > 0xffffffff)
  ) {
    throw bad(
      `with a passphrase only, an integer of at least ${MIN_ITERATIONS}`,
      "iterations",
    );
  }
  return source;
}

async function subtle<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new MlsError("crypto_failure", `${what} failed`, undefined, {
      cause: e,
    });
  }
}

/** Imports a raw AES key as a non-extractable AES-GCM key. */
export function importRawKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle("importing the key", () =>
    crypto.subtle.importKey(
      "raw",
      ab(raw),
      "AES-GCM",
      false,
      ["encrypt", "decrypt"],
    ));
}

/**
 * The AES-256-GCM key of `passphrase` (NFC) by PBKDF2-HMAC-SHA-256;
 * non-extractable. The passphrase bytes are wiped.
 */
export async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number,
): Promise<CryptoKey> {
  const bytes = utf8Encode(passphrase.normalize("NFC"));
  try {
    const base = await subtle(
      "importing the passphrase",
      () =>
        crypto.subtle.importKey(
          "raw",
          ab(bytes),
          "PBKDF2",
          false,
          ["deriveKey"],
        ),
    );
    return await subtle("deriving the key", () =>
      crypto.subtle.deriveKey(
        {
          name: "PBKDF2",
          hash: "SHA-256",
          salt: ab(salt),
          iterations,
        },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      ));
  } finally {
    wipe(bytes);
  }
}

/** The key check: a nonce and the AES-GCM tag of nothing under `key`. */
async function keyCheck(key: CryptoKey): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const tag = await subtle("the key check", () =>
    crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: ab(CHECK_AD) },
      key,
      new Uint8Array(0),
    ));
  const out = new Uint8Array(NONCE_BYTES + TAG_BYTES);
  out.set(nonce);
  out.set(new Uint8Array(tag), NONCE_BYTES);
  return out;
}

/** Whether `key` opens `check`. */
async function checkOpens(key: CryptoKey, check: Uint8Array): Promise<boolean> {
  try {
    await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: ab(check.subarray(0, NONCE_BYTES)),
        additionalData: ab(CHECK_AD),
      },
      key,
      ab(check.subarray(NONCE_BYTES)),
    );
    return true;
  } catch {
    return false;
  }
}

/** Encodes a key record. */
export function encodeKeyRecord(r: KeyRecord): Uint8Array {
  const out = new Uint8Array(7 + r.salt.length + r.check.length);
  const v = new DataView(out.buffer);
  out[0] = META_VERSION;
  out[1] = r.kdf;
  v.setUint32(2, r.iterations);
  out[6] = r.salt.length;
  out.set(r.salt, 7);
  out.set(r.check, 7 + r.salt.length);
  return out;
}

/** Decodes a key record (`invalid_state_format` when malformed). */
export function decodeKeyRecord(b: Uint8Array): KeyRecord {
  const fail = (why: string) =>
    new MlsError("invalid_state_format", `encrypted storage: ${why}`);
  if (b.length < 7) throw fail("short key record");
  if (b[0] !== META_VERSION) {
    throw new MlsError(
      "unsupported_state_version",
      `unknown encrypted storage key record version ${b[0]}`,
    );
  }
  const kdf = b[1];
  const iterations = new DataView(b.buffer, b.byteOffset).getUint32(2);
  const saltLength = b[6];
  if (b.length !== 7 + saltLength + NONCE_BYTES + TAG_BYTES) {
    throw fail("key record of the wrong length");
  }
  const ok = kdf === KDF_NONE
    ? iterations === 0 && saltLength === 0
    : kdf === KDF_PBKDF2 && iterations >= MIN_ITERATIONS &&
      saltLength === SALT_BYTES;
  if (!ok) throw fail("unknown key derivation");
  return {
    kdf,
    iterations,
    salt: b.slice(7, 7 + saltLength),
    check: b.slice(7 + saltLength),
  };
}

/**
 * A new store's key and record: the given key, or one derived from the
 * passphrase with a fresh salt.
 */
export async function newKey(
  options: EncryptedStorageOptions,
): Promise<{ key: CryptoKey; record: Uint8Array }> {
  const source = keySource(options);
  let key: CryptoKey;
  let kdf = KDF_NONE;
  let iterations = 0;
  let salt = new Uint8Array(0);
  if (source === "passphrase") {
    kdf = KDF_PBKDF2;
    iterations = options.iterations ?? DEFAULT_ITERATIONS;
    salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    key = await deriveKey(options.passphrase!, salt, iterations);
  } else if (source === "rawKey") {
    key = await importRawKey(options.rawKey!);
  } else {
    key = options.key!;
  }
  const check = await keyCheck(key);
  return {
    key,
    record: encodeKeyRecord({ kdf, iterations, salt, check }),
  };
}

/**
 * The key of an existing store: checked against its record; a wrong key
 * or passphrase, or the wrong kind of source, is `wrong_key`.
 */
export async function existingKey(
  options: EncryptedStorageOptions,
  record: KeyRecord,
): Promise<CryptoKey> {
  const source = keySource(options);
  if ((record.kdf === KDF_PBKDF2) !== (source === "passphrase")) {
    throw new MlsError(
      "wrong_key",
      record.kdf === KDF_PBKDF2
        ? "this store is protected by a passphrase"
        : "this store is protected by a key, not a passphrase",
    );
  }
  const key = source === "passphrase"
    ? await deriveKey(options.passphrase!, record.salt, record.iterations)
    : source === "rawKey"
    ? await importRawKey(options.rawKey!)
    : options.key!;
  if (!(await checkOpens(key, record.check))) {
    throw new MlsError(
      "wrong_key",
      `the ${
        source === "passphrase" ? "passphrase" : "key"
      } does not open this store`,
    );
  }
  return key;
}
