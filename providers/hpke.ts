/**
 * HPKE base mode (RFC 9180) through `@hpke/core` and its KEM/AEAD modules.
 * One `CipherSuite` object is built per MLS suite. Private keys cross the
 * API as `SerializePrivateKey` bytes; the imported key pair behind them is
 * cached per buffer, and imported recipient public keys per value.
 *
 * @module
 */

import {
  CipherSuite,
  DhkemP256HkdfSha256,
  DhkemP384HkdfSha384,
  DhkemP521HkdfSha512,
  DhkemX25519HkdfSha256,
  DhkemX448HkdfSha512,
  type KemInterface,
} from "@hpke/core";
import { DhkemX25519HkdfSha256 as PureDhkemX25519 } from "@hpke/dhkem-x25519";
import { DhkemX448HkdfSha512 as PureDhkemX448 } from "@hpke/dhkem-x448";
import { x25519 } from "@noble/curves/ed25519.js";
import { x448 } from "@noble/curves/ed448.js";
import { ecPublicOfScalar, ecScalarOfPkcs8 } from "./ec_public.ts";
import type { CipherSuiteInfo } from "../src/crypto/cipher_suites.ts";
import { aeadFor, kdfFor } from "./hpke_algorithms.ts";
import { MlsError } from "../src/errors.ts";
import type {
  HpkeExported,
  HpkeKeyPair,
  HpkeRecipient,
  HpkeSealed,
} from "./provider.ts";
import { KeyScheduleMemoKdf } from "./hpke_kdf.ts";
import { KeyBytesSubtle, tuneKem } from "./hpke_tuning.ts";
import { PublicCache, SecretCache } from "./key_cache.ts";
import type { HpkePart, KdfPart } from "./suite.ts";
import type { WebCryptoFeatures } from "./detect.ts";
import { bytesEqual } from "../src/util/bytes.ts";
import { mapLimited } from "../src/util/map_limited.ts";

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Serialized public key from a native private `CryptoKey`'s JWK. */
async function jwkPublic(key: CryptoKey): Promise<Uint8Array> {
  return publicOfJwk(await crypto.subtle.exportKey("jwk", key));
}

/** `SerializePublicKey` from a private JWK: `x`, or `0x04 || x || y`. */
function publicOfJwk(jwk: JsonWebKey): Uint8Array {
  const x = fromB64url(jwk.x!);
  if (jwk.kty !== "EC") return x;
  const y = fromB64url(jwk.y!);
  const out = new Uint8Array(1 + x.length + y.length);
  out[0] = 0x04;
  out.set(x, 1);
  out.set(y, 1 + x.length);
  return out;
}

/** How to compute a public key from a deserialized private key. */
type PublicFromPrivate = (
  key: CryptoKey,
  raw: Uint8Array,
) => Promise<Uint8Array>;

const jwkPublicFromPrivate: PublicFromPrivate = (key) => jwkPublic(key);

/** A KEM and how its keys are handled. */
interface KemChoice {
  kem: KemInterface;
  publicFromPrivate: PublicFromPrivate;
  /** Whether its keys are WebCrypto keys. */
  native: boolean;
  /** Which implementation serves it, for diagnostics. */
  implementation: string;
}

/**
 * A P-curve KEM on WebCrypto. Its public keys come from a JWK export of the
 * private key, or, where the runtime cannot export a PKCS#8-imported key as
 * JWK (Firefox), from `@noble/curves` (`ec_public.ts`).
 */
function ecKem(
  id: number,
  kem: KemInterface,
  features: WebCryptoFeatures,
): KemChoice {
  const name = `WebCrypto ${KEM_NAMES[id]}`;
  if (features.ecdhJwkOfPkcs8) {
    return {
      kem,
      publicFromPrivate: jwkPublicFromPrivate,
      native: true,
      implementation: name,
    };
  }
  return {
    kem,
    publicFromPrivate: (_, raw) => Promise.resolve(ecPublicOfScalar(id, raw)),
    native: true,
    implementation: `${name}, public keys by @noble/curves`,
  };
}

/** KEM names (RFC 9180 §7.1), for diagnostics. */
const KEM_NAMES: Record<number, string> = {
  0x0010: "DHKEM(P-256)",
  0x0011: "DHKEM(P-384)",
  0x0012: "DHKEM(P-521)",
  0x0020: "DHKEM(X25519)",
  0x0021: "DHKEM(X448)",
};

function kemFor(id: number, features: WebCryptoFeatures): KemChoice {
  const native = (kem: KemInterface): KemChoice => ({
    kem,
    publicFromPrivate: jwkPublicFromPrivate,
    native: true,
    implementation: `WebCrypto ${KEM_NAMES[id]}`,
  });
  const pure = (kem: KemInterface, pub: (raw: Uint8Array) => Uint8Array) => ({
    kem,
    publicFromPrivate: (_: CryptoKey, raw: Uint8Array) =>
      Promise.resolve(pub(raw)),
    native: false,
    implementation: `@noble/curves ${KEM_NAMES[id]}`,
  });
  switch (id) {
    case 0x0010:
      return ecKem(id, new DhkemP256HkdfSha256(), features);
    case 0x0011:
      return ecKem(id, new DhkemP384HkdfSha384(), features);
    case 0x0012:
      return ecKem(id, new DhkemP521HkdfSha512(), features);
    case 0x0020:
      return features.x25519
        ? native(new DhkemX25519HkdfSha256())
        : pure(new PureDhkemX25519(), x25519.getPublicKey);
    case 0x0021:
      return features.x448
        ? native(new DhkemX448HkdfSha512())
        : pure(new PureDhkemX448(), x448.getPublicKey);
  }
  throw new MlsError("unsupported_cipher_suite", `unknown HPKE KEM ${id}`);
}

/**
 * `Nsk` per KEM (RFC 9180 §7.1). Not taken from `@hpke`, whose P-521 KEM
 * reports 64 although it requires 66.
 */
const PRIVATE_KEY_LENGTH: Record<number, number> = {
  0x0010: 32,
  0x0011: 48,
  0x0012: 66,
  0x0020: 32,
  0x0021: 56,
};

/**
 * Left-pads a big-endian EC scalar to the KEM's `Nsk`: some encoders (the
 * interop vectors' P-521 keys among them) drop leading zero octets.
 */
function padScalar(raw: Uint8Array, length: number): Uint8Array {
  if (raw.length >= length || raw.length === 0) return raw;
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

interface PrivateEntry {
  pair: CryptoKeyPair;
  publicKey: Uint8Array;
}

function failure(message: string, cause: unknown): MlsError {
  return new MlsError("crypto_failure", message, undefined, { cause });
}

/** Options of {@link HpkeSuite}. */
export interface HpkeSuiteOptions {
  /**
   * HKDF for the HPKE key schedule and the KEM (`kdf: "js"`): this part
   * instead of `@hpke/core`'s WebCrypto HKDF.
   */
  hkdf?: KdfPart;
}

/** `suite_id` of a KEM (RFC 9180 §4.1): `"KEM" || I2OSP(kem_id, 2)`. */
function kemSuiteId(id: number): Uint8Array {
  return new Uint8Array([0x4b, 0x45, 0x4d, id >> 8, id & 0xff]);
}

/** HPKE base mode for one MLS cipher suite. */
export class HpkeSuite implements HpkePart {
  /** For single-shot seals and opens (no exporter secret). */
  #suite: CipherSuite;
  /** For sender and receiver exports. */
  #exportSuite: CipherSuite | undefined;
  #info: CipherSuiteInfo;
  #kem: KemInterface;
  #hkdf: KdfPart | undefined;
  /** The KEM primitives' WebCrypto, which remembers public key bytes. */
  #subtle: KeyBytesSubtle | undefined;
  /** Whether the KEM's keys are WebCrypto keys. */
  #native: boolean;
  /** Whether an EC key's public key comes from its JWK (not `@noble`). */
  #ecJwk: boolean;
  #publicFromPrivate: PublicFromPrivate;
  #privateKeyLength: number;
  #private = new SecretCache<PrivateEntry>();
  /** Private keys imported with a public key the caller gave. */
  #privateKnown = new SecretCache<PrivateEntry>();
  #public = new PublicCache<CryptoKey>();
  /** Which implementation serves the KEM, for diagnostics. */
  readonly implementation: string;

  /**
   * Builds the suite's HPKE `CipherSuite`.
   *
   * @param info the MLS suite's parameters (KEM, KDF and AEAD ids)
   * @param features which native algorithms to use; X25519/X448 come from
   *   the pure-JS `@hpke/dhkem-*` modules where WebCrypto lacks them
   * @param options see {@link HpkeSuiteOptions}
   */
  constructor(
    info: CipherSuiteInfo,
    features: WebCryptoFeatures,
    options: HpkeSuiteOptions = {},
  ) {
    const choice = kemFor(info.kem, features);
    this.#kem = choice.kem;
    this.#publicFromPrivate = choice.publicFromPrivate;
    this.#native = choice.native;
    this.#ecJwk = choice.publicFromPrivate === jwkPublicFromPrivate;
    this.implementation = choice.implementation;
    this.#privateKeyLength = PRIVATE_KEY_LENGTH[info.kem] ?? 0;
    this.#info = info;
    this.#hkdf = options.hkdf;
    const subtle = this.#native ? new KeyBytesSubtle() : undefined;
    const tuned = tuneKem(this.#kem, subtle, (inner) => {
      const kdf = new KeyScheduleMemoKdf(inner, undefined, {
        hkdf: this.#hkdf,
      });
      kdf.init(kemSuiteId(info.kem));
      return kdf;
    });
    if (tuned) this.#subtle = subtle;
    this.#suite = this.#cipherSuite(undefined, true);
  }

  /**
   * An `@hpke/core` suite; `info`, if given, is the one all seals share (kept
   * by reference: the caller must not change it). A `sealOnly` suite serves
   * single-shot seals and opens only.
   */
  #cipherSuite(info: Uint8Array | undefined, sealOnly: boolean): CipherSuite {
    return new CipherSuite({
      kem: this.#kem,
      kdf: new KeyScheduleMemoKdf(kdfFor(this.#info.kdf), info, {
        sealOnly,
        hkdf: this.#hkdf,
      }),
      aead: aeadFor(this.#info.aead),
    });
  }

  get #exporting(): CipherSuite {
    return this.#exportSuite ??= this.#cipherSuite(undefined, false);
  }

  #importPrivate = (raw: Uint8Array): Promise<PrivateEntry> =>
    this.#importPair(raw);

  /**
   * Imports a private key; its public key is computed (a JWK export, which
   * costs a scalar multiplication) unless the caller knows it.
   */
  async #importPair(
    raw: Uint8Array,
    knownPublic?: Uint8Array,
  ): Promise<PrivateEntry> {
    try {
      const padded = padScalar(raw, this.#privateKeyLength);
      const privateKey = await this.#kem.deserializePrivateKey(padded);
      this.#subtle?.forget(privateKey);
      const pub = knownPublic?.slice() ??
        await this.#publicFromPrivate(privateKey, padded);
      const publicKey = await this.#public.get(pub, this.#importPublic);
      return { pair: { privateKey, publicKey }, publicKey: pub };
    } catch (cause) {
      throw failure("invalid HPKE private key", cause);
    }
  }

  /**
   * The imported key pair of `raw`. With the recipient's public key known,
   * a pair imported earlier (with a computed public key) is used if its
   * public key is that one; else the key is imported without computing its
   * public key, cached apart, keyed by the private key and used only for
   * that same public key. A wrong public key thus makes only the opens that
   * name it fail (RFC 9180's KEM context holds `pkRm`).
   */
  async #pair(
    raw: Uint8Array,
    knownPublic: Uint8Array | undefined,
  ): Promise<CryptoKeyPair> {
    if (!knownPublic) {
      return (await this.#private.get(raw, this.#importPrivate)).pair;
    }
    const computed = this.#private.peek(raw);
    if (computed) {
      const e = await computed.catch(() => undefined);
      if (e && bytesEqual(e.publicKey, knownPublic)) return e.pair;
    }
    const entry = await this.#privateKnown.get(
      raw,
      (r) => this.#importPair(r, knownPublic),
    );
    if (bytesEqual(entry.publicKey, knownPublic)) return entry.pair;
    return (await this.#importPair(raw, knownPublic)).pair;
  }

  #importPublic = (raw: Uint8Array): Promise<CryptoKey> =>
    this.#kem.deserializePublicKey(raw);

  async #serialize(pair: CryptoKeyPair): Promise<HpkeKeyPair> {
    let publicKey: Uint8Array, privateKey: Uint8Array;
    if (
      this.#native && !this.#ecJwk && pair.privateKey.algorithm.name === "ECDH"
    ) {
      // No JWK export (Firefox): the scalar from PKCS#8 (a derived key's
      // comes from memory), its public key from `@noble/curves`. A derived
      // pair's public key may be `@hpke/core`'s guess, so it is replaced.
      const pkcs8 = new Uint8Array(
        await (this.#subtle ?? crypto.subtle).exportKey(
          "pkcs8",
          pair.privateKey,
        ),
      );
      try {
        privateKey = ecScalarOfPkcs8(pkcs8, this.#privateKeyLength);
      } finally {
        pkcs8.fill(0);
      }
      publicKey = ecPublicOfScalar(this.#info.kem, privateKey);
      pair = {
        privateKey: pair.privateKey,
        publicKey: await this.#public.get(publicKey, this.#importPublic),
      };
    } else if (this.#native && pair.privateKey.algorithm.name === "ECDH") {
      // An EC private key's JWK holds both halves: one export, not two.
      const jwk = await (this.#subtle ?? crypto.subtle).exportKey(
        "jwk",
        pair.privateKey,
      );
      publicKey = publicOfJwk(jwk);
      privateKey = padScalar(fromB64url(jwk.d!), this.#privateKeyLength);
    } else if (this.#native) {
      // X25519/X448: raw public key and PKCS#8, whose last Nsk octets are the
      // private key (RFC 8410 §7); cheaper than a JWK, which recomputes `x`.
      // The public key of a derived pair was imported from its JWK by
      // `@hpke/core`, so its bytes come from memory.
      const subtle = this.#subtle ?? crypto.subtle;
      const [pub, pkcs8] = await Promise.all([
        subtle.exportKey("raw", pair.publicKey),
        subtle.exportKey("pkcs8", pair.privateKey),
      ]);
      publicKey = new Uint8Array(pub);
      this.#subtle?.remember(pair.publicKey, publicKey);
      privateKey = new Uint8Array(pkcs8.slice(-this.#privateKeyLength));
      const length = pkcs8.byteLength;
      new Uint8Array(pkcs8).fill(0);
      if (length !== 16 + this.#privateKeyLength) {
        throw failure("unexpected PKCS#8 encoding", undefined);
      }
    } else {
      const [pub, priv] = await Promise.all([
        this.#kem.serializePublicKey(pair.publicKey),
        this.#kem.serializePrivateKey(pair.privateKey),
      ]);
      publicKey = new Uint8Array(pub);
      privateKey = new Uint8Array(priv);
    }
    // The caller will likely decrypt with this key: remember the import.
    this.#private.set(privateKey, { pair, publicKey: publicKey.slice() });
    return { publicKey, privateKey };
  }

  /** Single-shot base-mode seal to `publicKey`. */
  seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed> {
    return this.#seal(this.#suite, publicKey, info, aad, plaintext);
  }

  /**
   * Single-shot seals under one `info`, through a suite that hashes that
   * `info` once for all of them.
   */
  sealMany(
    recipients: readonly HpkeRecipient[],
    info: Uint8Array,
    aad: Uint8Array,
  ): Promise<HpkeSealed[]> {
    if (recipients.length < 2) {
      return mapLimited(
        recipients,
        (r) => this.#seal(this.#suite, r.publicKey, info, aad, r.plaintext),
      );
    }
    // One private copy, passed as a bare ArrayBuffer: `@hpke/core` copies
    // any other form of `info` per seal, and the KDF recognizes it by identity.
    const shared = info.slice();
    const suite = this.#cipherSuite(shared, true);
    return mapLimited(
      recipients,
      (r) => this.#seal(suite, r.publicKey, shared.buffer, aad, r.plaintext),
    );
  }

  async #seal(
    suite: CipherSuite,
    publicKey: Uint8Array,
    info: Uint8Array | ArrayBuffer,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed> {
    try {
      const recipientPublicKey = await this.#public.get(
        publicKey,
        this.#importPublic,
      );
      const { ct, enc } = await suite.seal(
        { recipientPublicKey, info },
        plaintext,
        aad,
      );
      return { kemOutput: new Uint8Array(enc), ciphertext: new Uint8Array(ct) };
    } catch (cause) {
      throw failure("HPKE seal failed", cause);
    }
  }

  /**
   * Single-shot base-mode open; throws `MlsError("crypto_failure")`.
   * `publicKey`, the recipient's own when known, saves computing it.
   */
  async open(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    const pair = await this.#pair(privateKey, publicKey);
    try {
      return new Uint8Array(
        await this.#suite.open(
          { recipientKey: pair, enc: kemOutput, info },
          ciphertext,
          aad,
        ),
      );
    } catch (cause) {
      throw failure("HPKE open failed", cause);
    }
  }

  /** Sender setup, then `Export(exporterContext, length)` (RFC 9180 §5.3). */
  async exportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<HpkeExported> {
    try {
      const recipientPublicKey = await this.#public.get(
        publicKey,
        this.#importPublic,
      );
      const ctx = await this.#exporting.createSenderContext({
        recipientPublicKey,
        info,
      });
      const secret = await ctx.export(exporterContext, length);
      return {
        kemOutput: new Uint8Array(ctx.enc),
        secret: new Uint8Array(secret),
      };
    } catch (cause) {
      throw failure("HPKE sender export failed", cause);
    }
  }

  /**
   * Receiver setup, then `Export(exporterContext, length)`; `publicKey` as
   * for {@link HpkeSuite.open}.
   */
  async exportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    const pair = await this.#pair(privateKey, publicKey);
    try {
      const ctx = await this.#exporting.createRecipientContext({
        recipientKey: pair,
        enc: kemOutput,
        info,
      });
      return new Uint8Array(await ctx.export(exporterContext, length));
    } catch (cause) {
      throw failure("HPKE receiver export failed", cause);
    }
  }

  /** The KEM's `DeriveKeyPair(ikm)`, serialized. */
  async deriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair> {
    let pair: CryptoKeyPair | undefined;
    try {
      pair = await this.#kem.deriveKeyPair(ikm);
      // The PKCS#8 bytes `@hpke/core` imported the derived key from serve
      // its serialization, then are forgotten.
      return await this.#serialize(pair);
    } catch (cause) {
      throw failure("HPKE DeriveKeyPair failed", cause);
    } finally {
      if (pair) this.#subtle?.forget(pair.privateKey);
    }
  }

  /** A fresh key pair, serialized. */
  async generateKeyPair(): Promise<HpkeKeyPair> {
    return await this.#serialize(await this.#kem.generateKeyPair());
  }

  /** The public key of a serialized private key. */
  async publicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    const entry = await this.#private.get(privateKey, this.#importPrivate);
    return entry.publicKey.slice();
  }
}
