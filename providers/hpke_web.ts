/**
 * HPKE base mode (RFC 9180) on `crypto.subtle` alone, for the DHKEMs that
 * WebCrypto implements (X25519, X448, P-256, P-384, P-521), HKDF-SHA2 and
 * AES-GCM (ChaCha20-Poly1305 through an {@link AeadPart}).
 *
 * Written for few WebCrypto calls, because each call costs tens of
 * microseconds whatever its size:
 *
 * - the KEM's `ExtractAndExpand` and the key schedule's
 *   `LabeledExtract`-then-`LabeledExpand` pairs are single HKDF
 *   `deriveBits`/`deriveKey` calls (HKDF is Extract-then-Expand); the key
 *   schedule's input keying material (`"HPKE-v1" || suite || "secret" ||
 *   psk`, with the empty PSK of base mode) is a per-suite constant, imported
 *   once, with the shared secret as the salt;
 * - the AEAD key comes out of `deriveKey` ready to use (no import), in
 *   parallel with the base nonce;
 * - `psk_id_hash` is computed once per suite, `info_hash` once per
 *   {@link WebHpke.sealMany} batch (MLS encrypts a whole UpdatePath, or a
 *   Welcome's GroupSecrets, under one `info`: the Welcome's `info` holds
 *   the whole encrypted GroupInfo, which `@hpke/core` hashes again for
 *   every recipient);
 * - independent calls run concurrently;
 * - the recipient's own public key (part of the KEM context) can be passed
 *   in instead of being recomputed from the private key.
 *
 * Imported private keys are cached per buffer ({@link SecretCache}),
 * recipient public keys per value ({@link PublicCache}).
 *
 * @module
 */

import type { CipherSuiteInfo } from "../src/crypto/cipher_suites.ts";
import { MlsError } from "../src/errors.ts";
import { PublicCache, SecretCache } from "./key_cache.ts";
import type {
  HpkeExported,
  HpkeKeyPair,
  HpkeRecipient,
  HpkeSealed,
} from "./provider.ts";
import type { AeadPart, HpkePart } from "./suite.ts";
import { buf, type HashName } from "./webcrypto.ts";
import { p256, p384, p521 } from "@noble/curves/nist.js";

const EMPTY = new Uint8Array(0);
const HPKE_V1 = new TextEncoder().encode("HPKE-v1");
const enc = (s: string) => new TextEncoder().encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function i2osp(v: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--, v >>>= 8) out[i] = v & 0xff;
  return out;
}

function b64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toB64url(b: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < b.length; i++) bin += String.fromCharCode(b[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function leftPad(v: Uint8Array, n: number): Uint8Array {
  if (v.length >= n) return v;
  const out = new Uint8Array(n);
  out.set(v, n - v.length);
  return out;
}

/** Parameters of one DHKEM (RFC 9180 §7.1). */
interface KemSpec {
  /** KEM id. */
  id: number;
  /** WebCrypto algorithm for keys and `deriveBits`. */
  alg: { name: "X25519" | "X448" } | { name: "ECDH"; namedCurve: string };
  /** The KEM's KDF hash. */
  hash: HashName;
  /** `Nsecret` (= the hash length). */
  nSecret: number;
  /** `Nsk`. */
  nSk: number;
  /** `Ndh` in bytes. */
  nDh: number;
  /** PKCS#8 prefix of a raw private key (RFC 8410 / RFC 5915 form). */
  pkcs8Prefix: Uint8Array;
  /** For the NIST curves: group order and first-byte mask (§7.1.3). */
  order?: bigint;
  bitmask?: number;
  /** For the NIST curves: public keys in JS, for runtimes that need them. */
  noble?: { getPublicKey(sk: Uint8Array, compressed: boolean): Uint8Array };
}

const X25519_PKCS8 = new Uint8Array([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
]);
const X448_PKCS8 = new Uint8Array([
  0x30,
  0x46,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6f,
  0x04,
  0x3a,
  0x04,
  0x38,
]);

/** PKCS#8 for an EC scalar without the optional public key (RFC 5915). */
function ecPkcs8Prefix(curveOid: number[], size: number): Uint8Array {
  const ecOid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
  const algId = [0x06, ecOid.length, ...ecOid, 0x06, curveOid.length];
  algId.push(...curveOid);
  const ecPrivateKey = [0x02, 0x01, 0x01, 0x04, size];
  const inner = [0x30, ecPrivateKey.length + size, ...ecPrivateKey];
  const body = [0x02, 0x01, 0x00, 0x30, algId.length, ...algId];
  body.push(0x04, inner.length + size, ...inner);
  // Every length fits the short form except P-521's outer one.
  const total = body.length + size;
  const head = total < 0x80 ? [0x30, total] : [0x30, 0x81, total];
  return new Uint8Array([...head, ...body]);
}

/** The DHKEMs with a native WebCrypto implementation, by KEM id. */
export const WEB_KEMS: Readonly<Record<number, KemSpec>> = {
  0x0010: {
    id: 0x0010,
    alg: { name: "ECDH", namedCurve: "P-256" },
    hash: "SHA-256",
    nSecret: 32,
    nSk: 32,
    nDh: 32,
    pkcs8Prefix: ecPkcs8Prefix(
      [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
      32,
    ),
    order: p256.Point.CURVE().n,
    bitmask: 0xff,
    noble: p256,
  },
  0x0011: {
    id: 0x0011,
    alg: { name: "ECDH", namedCurve: "P-384" },
    hash: "SHA-384",
    nSecret: 48,
    nSk: 48,
    nDh: 48,
    pkcs8Prefix: ecPkcs8Prefix([0x2b, 0x81, 0x04, 0x00, 0x22], 48),
    order: p384.Point.CURVE().n,
    bitmask: 0xff,
    noble: p384,
  },
  0x0012: {
    id: 0x0012,
    alg: { name: "ECDH", namedCurve: "P-521" },
    hash: "SHA-512",
    nSecret: 64,
    nSk: 66,
    nDh: 66,
    pkcs8Prefix: ecPkcs8Prefix([0x2b, 0x81, 0x04, 0x00, 0x23], 66),
    order: p521.Point.CURVE().n,
    bitmask: 0x01,
    noble: p521,
  },
  0x0020: {
    id: 0x0020,
    alg: { name: "X25519" },
    hash: "SHA-256",
    nSecret: 32,
    nSk: 32,
    nDh: 32,
    pkcs8Prefix: X25519_PKCS8,
  },
  0x0021: {
    id: 0x0021,
    alg: { name: "X448" },
    hash: "SHA-512",
    nSecret: 64,
    nSk: 56,
    nDh: 56,
    pkcs8Prefix: X448_PKCS8,
  },
};

const HASH_LENGTH: Record<HashName, number> = {
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

const KDF_HASH: Record<number, HashName> = {
  0x0001: "SHA-256",
  0x0002: "SHA-384",
  0x0003: "SHA-512",
};

function failure(message: string, cause?: unknown): MlsError {
  return new MlsError("crypto_failure", message, undefined, { cause });
}

/** An imported private key and, once known, its serialized public key. */
interface PrivateEntry {
  key: CryptoKey;
  publicKey?: Uint8Array;
}

/** The AEAD: native AES-GCM, or another {@link AeadPart} on raw keys. */
type Aead =
  | { kind: "aes-gcm"; keyLength: number }
  | { kind: "part"; part: AeadPart };

/** The AEAD key and nonce of one HPKE context, and the exporter secret. */
interface Context {
  key: CryptoKey | Uint8Array;
  nonce: Uint8Array;
}

/** HPKE base mode for one MLS cipher suite, on WebCrypto. */
export class WebHpke implements HpkePart {
  #kem: KemSpec;
  #kemSuite: Uint8Array;
  #suite: Uint8Array;
  #hash: HashName;
  #nh: number;
  #aead: Aead;
  #nk: number;
  #nn = 12;
  #private = new SecretCache<PrivateEntry>();
  #public = new PublicCache<CryptoKey>(1024);
  #zeroKey?: Promise<CryptoKey>;
  #secretIkm?: Promise<CryptoKey>;
  #pskIdHash?: Promise<Uint8Array>;
  #base?: Promise<CryptoKey>;

  /**
   * HPKE for `info`'s KEM, KDF and AEAD.
   *
   * @param info the MLS suite; its KEM must be one of {@link WEB_KEMS}
   * @param aead the AEAD part to use when it is not AES-GCM
   */
  constructor(info: CipherSuiteInfo, aead?: AeadPart) {
    const kem = WEB_KEMS[info.kem];
    const hash = KDF_HASH[info.kdf];
    if (!kem || !hash) {
      throw new MlsError("unsupported_cipher_suite", "no native HPKE");
    }
    this.#kem = kem;
    this.#hash = hash;
    this.#nh = HASH_LENGTH[hash];
    if (info.aead === 0x0001 || info.aead === 0x0002) {
      this.#nk = info.aead === 0x0001 ? 16 : 32;
      this.#aead = { kind: "aes-gcm", keyLength: this.#nk };
    } else if (aead) {
      this.#nk = aead.keyLength;
      this.#nn = aead.nonceLength;
      this.#aead = { kind: "part", part: aead };
    } else {
      throw new MlsError("unsupported_cipher_suite", "no AEAD for HPKE");
    }
    this.#kemSuite = concat(enc("KEM"), i2osp(kem.id, 2));
    this.#suite = concat(
      enc("HPKE"),
      i2osp(kem.id, 2),
      i2osp(info.kdf, 2),
      i2osp(info.aead, 2),
    );
  }

  // ---- labeled KDF inputs (RFC 9180 §4) ------------------------------

  #labeledIkm(suite: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
    return concat(HPKE_V1, suite, enc(label), ikm);
  }

  #labeledInfo(
    suite: Uint8Array,
    label: string,
    info: Uint8Array,
    length: number,
  ): Uint8Array {
    return concat(i2osp(length, 2), HPKE_V1, suite, enc(label), info);
  }

  /** `LabeledExtract("", label, ikm)` of the HPKE suite: one HMAC. */
  async #extractNoSalt(label: string, ikm: Uint8Array): Promise<Uint8Array> {
    this.#zeroKey ??= crypto.subtle.importKey(
      "raw",
      new Uint8Array(this.#nh),
      { name: "HMAC", hash: this.#hash },
      false,
      ["sign"],
    );
    const data = this.#labeledIkm(this.#suite, label, ikm);
    return new Uint8Array(
      await crypto.subtle.sign("HMAC", await this.#zeroKey, buf(data)),
    );
  }

  /** `key_schedule_context` for `info` (base mode, §5.1). */
  async #scheduleContext(info: Uint8Array): Promise<Uint8Array> {
    this.#pskIdHash ??= this.#extractNoSalt("psk_id_hash", EMPTY);
    const [pskIdHash, infoHash] = await Promise.all([
      this.#pskIdHash,
      this.#extractNoSalt("info_hash", info),
    ]);
    return concat(new Uint8Array([0]), pskIdHash, infoHash);
  }

  /**
   * HKDF params for `LabeledExpand(LabeledExtract(shared, "secret", ""),
   * label, ksc, length)`: the constant IKM is the base key, the shared
   * secret the salt.
   */
  #scheduleParams(
    shared: Uint8Array,
    ksc: Uint8Array,
    label: string,
    length: number,
  ): HkdfParams {
    return {
      name: "HKDF",
      hash: this.#hash,
      salt: buf(shared),
      info: buf(this.#labeledInfo(this.#suite, label, ksc, length)),
    };
  }

  #secretBase(): Promise<CryptoKey> {
    return this.#secretIkm ??= crypto.subtle.importKey(
      "raw",
      buf(this.#labeledIkm(this.#suite, "secret", EMPTY)),
      "HKDF",
      false,
      ["deriveBits", "deriveKey"],
    );
  }

  /** `KeyScheduleS/R` (§5.1) without the exporter secret. */
  async #context(
    shared: Uint8Array,
    ksc: Uint8Array,
    usage: "encrypt" | "decrypt",
  ): Promise<Context> {
    const base = await this.#secretBase();
    const nonceP = crypto.subtle.deriveBits(
      this.#scheduleParams(shared, ksc, "base_nonce", this.#nn),
      base,
      8 * this.#nn,
    );
    const keyParams = this.#scheduleParams(shared, ksc, "key", this.#nk);
    const keyP: Promise<CryptoKey | Uint8Array> = this.#aead.kind === "aes-gcm"
      ? crypto.subtle.deriveKey(
        keyParams,
        base,
        { name: "AES-GCM", length: 8 * this.#nk },
        false,
        [usage],
      )
      : crypto.subtle.deriveBits(keyParams, base, 8 * this.#nk).then((b) =>
        new Uint8Array(b)
      );
    const [key, nonce] = await Promise.all([keyP, nonceP]);
    return { key, nonce: new Uint8Array(nonce) };
  }

  /** `exporter_secret` of the context (§5.1). */
  async #exporterSecret(
    shared: Uint8Array,
    ksc: Uint8Array,
  ): Promise<Uint8Array> {
    const base = await this.#secretBase();
    return new Uint8Array(
      await crypto.subtle.deriveBits(
        this.#scheduleParams(shared, ksc, "exp", this.#nh),
        base,
        8 * this.#nh,
      ),
    );
  }

  /** `Export(exporter_context, L)`: LabeledExpand(.., "sec", ..) on HMAC. */
  async #export(
    exporterSecret: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    const n = Math.ceil(length / this.#nh);
    if (!Number.isInteger(length) || length < 0 || n > 255) {
      throw new MlsError("invalid_argument", "HPKE export length");
    }
    const key = await crypto.subtle.importKey(
      "raw",
      buf(exporterSecret),
      { name: "HMAC", hash: this.#hash },
      false,
      ["sign"],
    );
    const info = this.#labeledInfo(this.#suite, "sec", exporterContext, length);
    const out = new Uint8Array(n * this.#nh);
    let prev = EMPTY;
    for (let i = 1; i <= n; i++) {
      const t = new Uint8Array(
        await crypto.subtle.sign(
          "HMAC",
          key,
          buf(concat(prev, info, new Uint8Array([i]))),
        ),
      );
      out.set(t, (i - 1) * this.#nh);
      prev = t;
    }
    return out.slice(0, length);
  }

  // ---- the KEM (§4.1) --------------------------------------------------

  #importPublic = (raw: Uint8Array): Promise<CryptoKey> =>
    crypto.subtle.importKey("raw", buf(raw), this.#kem.alg, true, []);

  #importPrivate = async (raw: Uint8Array): Promise<PrivateEntry> => {
    const kem = this.#kem;
    // Some encoders drop leading zero octets of an EC scalar.
    const sk = kem.order ? leftPad(raw, kem.nSk) : raw;
    if (sk.length !== kem.nSk) throw failure("invalid HPKE private key");
    const der = concat(kem.pkcs8Prefix, sk);
    try {
      return {
        key: await crypto.subtle.importKey(
          "pkcs8",
          buf(der),
          kem.alg,
          true,
          ["deriveBits"],
        ),
      };
    } catch (cause) {
      if (!kem.noble) throw failure("invalid HPKE private key", cause);
    } finally {
      der.fill(0);
    }
    // A runtime that wants the public key in an EC PKCS#8: go through JWK.
    try {
      const publicKey = kem.noble.getPublicKey(sk, false);
      const size = kem.nSk;
      const key = await crypto.subtle.importKey(
        "jwk",
        {
          kty: "EC",
          crv: (kem.alg as { namedCurve: string }).namedCurve,
          x: toB64url(publicKey.subarray(1, 1 + size)),
          y: toB64url(publicKey.subarray(1 + size)),
          d: toB64url(sk),
        },
        kem.alg,
        true,
        ["deriveBits"],
      );
      return { key, publicKey };
    } catch (cause) {
      throw failure("invalid HPKE private key", cause);
    }
  };

  /** The serialized public key of an imported private key (via JWK). */
  async #publicOf(entry: PrivateEntry): Promise<Uint8Array> {
    if (entry.publicKey) return entry.publicKey;
    const jwk = await crypto.subtle.exportKey("jwk", entry.key);
    const x = b64url(jwk.x!);
    if (!this.#kem.order) return entry.publicKey = x;
    const size = this.#kem.nDh;
    return entry.publicKey = concat(
      new Uint8Array([4]),
      leftPad(x, size),
      leftPad(b64url(jwk.y!), size),
    );
  }

  async #dh(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Uint8Array> {
    const dh = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: this.#kem.alg.name, public: publicKey },
        privateKey,
        8 * this.#kem.nDh,
      ),
    );
    // RFC 7748 §6: an all-zero X25519/X448 output must be rejected.
    if (dh.every((b) => b === 0)) throw failure("HPKE DH output is zero");
    return dh;
  }

  /** `ExtractAndExpand(dh, kem_context)` (§4.1) as one HKDF call. */
  async #extractAndExpand(
    dh: Uint8Array,
    kemContext: Uint8Array,
  ): Promise<Uint8Array> {
    const kem = this.#kem;
    const ikm = this.#labeledIkm(this.#kemSuite, "eae_prk", dh);
    const base = await crypto.subtle.importKey(
      "raw",
      buf(ikm),
      "HKDF",
      false,
      ["deriveBits"],
    );
    ikm.fill(0);
    dh.fill(0);
    return new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: "HKDF",
          hash: kem.hash,
          salt: EMPTY,
          info: buf(
            this.#labeledInfo(
              this.#kemSuite,
              "shared_secret",
              kemContext,
              kem.nSecret,
            ),
          ),
        },
        base,
        8 * kem.nSecret,
      ),
    );
  }

  /** `Encap(pkR)`: the shared secret and `enc`. */
  async #encap(
    publicKey: Uint8Array,
  ): Promise<{ shared: Uint8Array; enc: Uint8Array }> {
    const pkRP = this.#public.get(publicKey, this.#importPublic);
    let enc: Uint8Array, dh: Uint8Array;
    if (this.#kem.order) {
      const [eph, pkR] = await Promise.all([
        crypto.subtle.generateKey(this.#kem.alg, true, [
          "deriveBits",
        ]) as Promise<CryptoKeyPair>,
        pkRP,
      ]);
      let encBuf: ArrayBuffer;
      [encBuf, dh] = await Promise.all([
        crypto.subtle.exportKey("raw", eph.publicKey),
        this.#dh(eph.privateKey, pkR),
      ]);
      enc = new Uint8Array(encBuf);
    } else {
      // X25519/X448: GenerateKeyPair is Nsk random bytes (RFC 9180 §7.1.3);
      // the public key is DH with the base point, computed alongside the
      // DH with the recipient (cheaper than generateKey + exportKey).
      const sk = crypto.getRandomValues(new Uint8Array(this.#kem.nSk));
      const [{ key }, pkR, base] = await Promise.all([
        this.#importPrivate(sk),
        pkRP,
        this.#basePoint(),
      ]);
      sk.fill(0);
      [enc, dh] = await Promise.all([
        this.#dh(key, base),
        this.#dh(key, pkR),
      ]);
    }
    return {
      shared: await this.#extractAndExpand(dh, concat(enc, publicKey)),
      enc,
    };
  }

  /** The X25519/X448 base point (u = 9 / u = 5) as a public key. */
  #basePoint(): Promise<CryptoKey> {
    if (!this.#base) {
      const u = new Uint8Array(this.#kem.nSk);
      u[0] = this.#kem.id === 0x0020 ? 9 : 5;
      this.#base = this.#importPublic(u);
    }
    return this.#base;
  }

  /** `Decap(enc, skR)`. */
  async #decap(
    kemOutput: Uint8Array,
    privateKey: Uint8Array,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    const [entry, pkE] = await Promise.all([
      this.#private.get(privateKey, this.#importPrivate),
      this.#importPublic(kemOutput),
    ]);
    const [dh, pkR] = await Promise.all([
      this.#dh(entry.key, pkE),
      publicKey ?? this.#publicOf(entry),
    ]);
    return await this.#extractAndExpand(dh, concat(kemOutput, pkR));
  }

  async #seal(
    publicKey: Uint8Array,
    ksc: Promise<Uint8Array>,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed> {
    const [{ shared, enc }, k] = await Promise.all([
      this.#encap(publicKey),
      ksc,
    ]);
    const ctx = await this.#context(shared, k, "encrypt");
    shared.fill(0);
    let ciphertext: Uint8Array;
    if (ctx.key instanceof Uint8Array) {
      const { part } = this.#aead as { part: AeadPart };
      ciphertext = await part.seal(ctx.key, ctx.nonce, aad, plaintext);
      ctx.key.fill(0);
    } else {
      ciphertext = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv: buf(ctx.nonce), additionalData: buf(aad) },
          ctx.key,
          buf(plaintext),
        ),
      );
    }
    return { kemOutput: enc, ciphertext };
  }

  /** Single-shot base-mode seal to `publicKey` (§6.1). */
  async seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed> {
    try {
      return await this.#seal(
        publicKey,
        this.#scheduleContext(info),
        aad,
        plaintext,
      );
    } catch (cause) {
      throw failure("HPKE seal failed", cause);
    }
  }

  /**
   * Single-shot seals of several plaintexts under one `info` and `aad`:
   * the same as {@link WebHpke.seal} for each, with the `info` hashed once
   * and all recipients concurrently.
   */
  async sealMany(
    recipients: readonly HpkeRecipient[],
    info: Uint8Array,
    aad: Uint8Array,
  ): Promise<HpkeSealed[]> {
    try {
      const ksc = this.#scheduleContext(info);
      return await Promise.all(
        recipients.map((r) => this.#seal(r.publicKey, ksc, aad, r.plaintext)),
      );
    } catch (cause) {
      throw failure("HPKE seal failed", cause);
    }
  }

  /** Single-shot base-mode open; throws `MlsError("crypto_failure")`. */
  async open(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      const [shared, ksc] = await Promise.all([
        this.#decap(kemOutput, privateKey, publicKey),
        this.#scheduleContext(info),
      ]);
      const ctx = await this.#context(shared, ksc, "decrypt");
      shared.fill(0);
      if (ctx.key instanceof Uint8Array) {
        const { part } = this.#aead as { part: AeadPart };
        try {
          return await part.open(ctx.key, ctx.nonce, aad, ciphertext);
        } finally {
          ctx.key.fill(0);
        }
      }
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: buf(ctx.nonce), additionalData: buf(aad) },
          ctx.key,
          buf(ciphertext),
        ),
      );
    } catch (cause) {
      throw failure("HPKE open failed", cause);
    }
  }

  /** Sender setup, then `Export(exporterContext, length)` (§5.3). */
  async exportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<HpkeExported> {
    try {
      const [{ shared, enc }, ksc] = await Promise.all([
        this.#encap(publicKey),
        this.#scheduleContext(info),
      ]);
      const exp = await this.#exporterSecret(shared, ksc);
      shared.fill(0);
      try {
        return {
          kemOutput: enc,
          secret: await this.#export(exp, exporterContext, length),
        };
      } finally {
        exp.fill(0);
      }
    } catch (cause) {
      throw failure("HPKE sender export failed", cause);
    }
  }

  /** Receiver setup, then `Export(exporterContext, length)`. */
  async exportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      const [shared, ksc] = await Promise.all([
        this.#decap(kemOutput, privateKey, publicKey),
        this.#scheduleContext(info),
      ]);
      const exp = await this.#exporterSecret(shared, ksc);
      shared.fill(0);
      try {
        return await this.#export(exp, exporterContext, length);
      } finally {
        exp.fill(0);
      }
    } catch (cause) {
      throw failure("HPKE receiver export failed", cause);
    }
  }

  /** Caches a key pair for later opens; returns it serialized. */
  async #remember(
    privateKey: Uint8Array,
    key: CryptoKey,
    publicKey?: Uint8Array,
  ): Promise<HpkeKeyPair> {
    const entry: PrivateEntry = { key, publicKey };
    const pub = await this.#publicOf(entry);
    this.#private.set(privateKey, { key, publicKey: pub.slice() });
    return { publicKey: pub.slice(), privateKey };
  }

  /** The KEM's `DeriveKeyPair(ikm)` (§7.1.3), serialized. */
  async deriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair> {
    const kem = this.#kem;
    try {
      const base = await crypto.subtle.importKey(
        "raw",
        buf(this.#labeledIkm(this.#kemSuite, "dkp_prk", ikm)),
        "HKDF",
        false,
        ["deriveBits"],
      );
      const expand = async (label: string, info: Uint8Array) =>
        new Uint8Array(
          await crypto.subtle.deriveBits(
            {
              name: "HKDF",
              hash: kem.hash,
              salt: EMPTY,
              info: buf(
                this.#labeledInfo(this.#kemSuite, label, info, kem.nSk),
              ),
            },
            base,
            8 * kem.nSk,
          ),
        );
      let sk: Uint8Array | undefined;
      if (!kem.order) sk = await expand("sk", EMPTY);
      else {
        for (let counter = 0; counter < 256 && !sk; counter++) {
          const bytes = await expand("candidate", new Uint8Array([counter]));
          bytes[0] &= kem.bitmask!;
          let v = 0n;
          for (const b of bytes) v = (v << 8n) | BigInt(b);
          if (v !== 0n && v < kem.order) sk = bytes;
          else bytes.fill(0);
        }
        if (!sk) throw failure("DeriveKeyPair found no key");
      }
      const { key } = await this.#importPrivate(sk);
      return await this.#remember(sk, key);
    } catch (cause) {
      throw failure("HPKE DeriveKeyPair failed", cause);
    }
  }

  /** A fresh key pair, serialized. */
  async generateKeyPair(): Promise<HpkeKeyPair> {
    const kem = this.#kem;
    try {
      const kp = await crypto.subtle.generateKey(kem.alg, true, [
        "deriveBits",
      ]) as CryptoKeyPair;
      const [pub, priv] = await Promise.all([
        crypto.subtle.exportKey("raw", kp.publicKey),
        kem.order
          ? crypto.subtle.exportKey("jwk", kp.privateKey)
          : crypto.subtle.exportKey("pkcs8", kp.privateKey),
      ]);
      let sk: Uint8Array;
      if (priv instanceof ArrayBuffer) {
        const der = new Uint8Array(priv);
        const p = kem.pkcs8Prefix;
        if (
          der.length !== p.length + kem.nSk || p.some((b, i) => der[i] !== b)
        ) {
          throw failure("unexpected PKCS#8 encoding");
        }
        sk = der.slice(p.length);
        der.fill(0);
      } else sk = leftPad(b64url((priv as JsonWebKey).d!), kem.nSk);
      return await this.#remember(sk, kp.privateKey, new Uint8Array(pub));
    } catch (cause) {
      throw failure("HPKE key generation failed", cause);
    }
  }

  /** The public key of a serialized private key. */
  async publicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    const entry = await this.#private.get(privateKey, this.#importPrivate);
    return (await this.#publicOf(entry)).slice();
  }
}
