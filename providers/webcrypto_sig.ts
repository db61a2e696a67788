/**
 * Signatures on `crypto.subtle`: ECDSA on P-256/P-384/P-521 (DER-encoded on
 * the wire, as MLS requires) and Ed25519.
 *
 * Private keys are either raw bytes in the test-vector form (big-endian
 * scalar for ECDSA, the 32-byte seed for Ed25519) or `CryptoKey`s. Raw keys
 * are imported once, as PKCS#8 without the public key (WebCrypto derives it),
 * and cached per buffer. The public key of every `CryptoKey` this module
 * creates is remembered in a `WeakMap`, because a non-extractable key cannot
 * reveal it later.
 *
 * @module
 */

import { MlsError } from "../src/errors.ts";
import type { SignatureKeyPair, SignaturePrivateKey } from "./provider.ts";
import { derToP1363, p1363ToDer } from "./der.ts";
import { PublicCache, SecretCache } from "./key_cache.ts";
import type { SignaturePart } from "./suite.ts";
import { buf, type HashName } from "./webcrypto.ts";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";

const USAGES: KeyUsage[] = ["sign", "verify"];

/** Public keys of the private `CryptoKey`s created or imported here. */
const publicOf = new WeakMap<CryptoKey, Uint8Array>();

function toB64url(b: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < b.length; i++) bin += String.fromCharCode(b[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Left-pads a big-endian value to `n` bytes. */
function pad(v: Uint8Array, n: number): Uint8Array {
  if (v.length === n) return v;
  const out = new Uint8Array(n);
  out.set(v, n - v.length);
  return out;
}

/** What distinguishes one WebCrypto signature algorithm from another. */
interface Scheme {
  /** Import and generate parameters. */
  alg: EcKeyImportParams | Algorithm;
  /** Sign and verify parameters. */
  params: EcdsaParams | Algorithm;
  /** Raw private key length. */
  privateLength: number;
  /** PKCS#8 header to prepend to the raw private key. */
  pkcs8Prefix: Uint8Array;
  /** The wire public key from a JWK. */
  jwkPublic(jwk: JsonWebKey): Uint8Array;
  /** A private JWK from the raw key and the wire public key. */
  jwkPrivate(raw: Uint8Array, publicKey: Uint8Array): JsonWebKey;
  /**
   * The wire public key computed in JS (`@noble/curves`), used only when
   * the runtime cannot import PKCS#8 without a public key or export the JWK.
   */
  derivePublic(raw: Uint8Array): Uint8Array;
  /** Wire signature from WebCrypto output. */
  toWire(sig: Uint8Array): Uint8Array;
  /** WebCrypto signature from wire form, or null when malformed. */
  fromWire(sig: Uint8Array): Uint8Array | null;
}

const EC_CURVES = {
  "P-256": {
    size: 32,
    oid: [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
    noble: p256,
  },
  "P-384": { size: 48, oid: [0x2b, 0x81, 0x04, 0x00, 0x22], noble: p384 },
  "P-521": { size: 66, oid: [0x2b, 0x81, 0x04, 0x00, 0x23], noble: p521 },
} as const;

/** An ECDSA curve name as WebCrypto spells it. */
export type EcCurve = "P-256" | "P-384" | "P-521";

/**
 * PKCS#8 `PrivateKeyInfo` for an EC scalar, without the optional public key
 * (RFC 5915): every length fits the short DER form for these curves.
 */
function ecPkcs8Prefix(curve: EcCurve): Uint8Array {
  const { size, oid } = EC_CURVES[curve];
  const ecOid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
  const algId = [0x06, ecOid.length, ...ecOid, 0x06, oid.length, ...oid];
  const ecPrivateKey = [0x02, 0x01, 0x01, 0x04, size]; // then the scalar
  const inner = [0x30, ecPrivateKey.length + size, ...ecPrivateKey];
  const body = [
    0x02,
    0x01,
    0x00,
    0x30,
    algId.length,
    ...algId,
    0x04,
    inner.length + size,
    ...inner,
  ];
  return new Uint8Array([0x30, body.length + size, ...body]);
}

function ecdsaScheme(curve: EcCurve, hash: HashName): Scheme {
  const { size, noble } = EC_CURVES[curve];
  return {
    alg: { name: "ECDSA", namedCurve: curve },
    params: { name: "ECDSA", hash },
    privateLength: size,
    pkcs8Prefix: ecPkcs8Prefix(curve),
    jwkPublic: (jwk) => {
      const out = new Uint8Array(1 + 2 * size);
      out[0] = 0x04;
      out.set(pad(fromB64url(jwk.x!), size), 1);
      out.set(pad(fromB64url(jwk.y!), size), 1 + size);
      return out;
    },
    jwkPrivate: (raw, pub) => ({
      kty: "EC",
      crv: curve,
      x: toB64url(pub.subarray(1, 1 + size)),
      y: toB64url(pub.subarray(1 + size)),
      d: toB64url(raw),
    }),
    derivePublic: (raw) => noble.getPublicKey(raw, false),
    toWire: p1363ToDer,
    fromWire: (sig) => derToP1363(sig, size),
  };
}

const ED25519: Scheme = {
  alg: { name: "Ed25519" },
  params: { name: "Ed25519" },
  privateLength: 32,
  pkcs8Prefix: new Uint8Array([
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
    0x70,
    0x04,
    0x22,
    0x04,
    0x20,
  ]),
  jwkPublic: (jwk) => fromB64url(jwk.x!),
  jwkPrivate: (raw, pub) => ({
    kty: "OKP",
    crv: "Ed25519",
    x: toB64url(pub),
    d: toB64url(raw),
  }),
  derivePublic: (raw) => ed25519.getPublicKey(raw),
  toWire: (sig) => sig,
  fromWire: (sig) => sig.length === 64 ? sig : null,
};

interface Imported {
  key: CryptoKey;
  publicKey: Uint8Array;
}

/** A signature scheme over WebCrypto. */
export class WebSignature implements SignaturePart {
  #s: Scheme;
  #raw = new SecretCache<Imported>();
  #pub = new PublicCache<CryptoKey>();

  /** @param scheme the algorithm's parameters */
  private constructor(scheme: Scheme) {
    this.#s = scheme;
  }

  /** ECDSA on a NIST curve with the given hash. */
  static ecdsa(curve: EcCurve, hash: HashName): WebSignature {
    return new WebSignature(ecdsaScheme(curve, hash));
  }

  /** Ed25519. */
  static ed25519(): WebSignature {
    return new WebSignature(ED25519);
  }

  #pkcs8(raw: Uint8Array): Uint8Array {
    const p = this.#s.pkcs8Prefix;
    const out = new Uint8Array(p.length + raw.length);
    out.set(p);
    out.set(raw, p.length);
    return out;
  }

  /**
   * Imports a raw private key. PKCS#8 without the public key first (the
   * runtime derives it); when the runtime cannot, a JWK with the public key
   * computed by `@noble/curves`. `publicKey` is known on re-imports.
   */
  async #importKey(
    raw: Uint8Array,
    extractable: boolean,
    publicKey?: Uint8Array,
  ): Promise<Imported> {
    // An ECDSA scalar may come minimally encoded (the P-521 message
    // protection vector has a 65-octet key): left-pad it.
    if (raw.length < this.#s.privateLength && "namedCurve" in this.#s.alg) {
      raw = pad(raw, this.#s.privateLength);
    }
    if (raw.length !== this.#s.privateLength) {
      throw new MlsError("invalid_argument", "bad signature private key size");
    }
    const der = buf(this.#pkcs8(raw));
    try {
      const key = await crypto.subtle.importKey(
        "pkcs8",
        der,
        this.#s.alg,
        extractable || !publicKey,
        ["sign"],
      );
      publicKey ??= this.#s.jwkPublic(
        await crypto.subtle.exportKey("jwk", key),
      );
      return { key, publicKey };
    } catch {
      // fall through to the JWK route
    } finally {
      der.fill(0);
    }
    try {
      publicKey ??= this.#s.derivePublic(raw);
      const jwk = this.#s.jwkPrivate(raw, publicKey);
      const key = await crypto.subtle.importKey(
        "jwk",
        jwk,
        this.#s.alg,
        extractable,
        ["sign"],
      );
      return { key, publicKey };
    } catch (cause) {
      throw new MlsError(
        "crypto_failure",
        "invalid signature private key",
        undefined,
        { cause },
      );
    }
  }

  #importRaw = (raw: Uint8Array): Promise<Imported> =>
    this.#importKey(raw, false);

  /** A fresh key pair: raw bytes if extractable, else a `CryptoKey`. */
  async generate(extractable: boolean): Promise<SignatureKeyPair> {
    const kp = await crypto.subtle.generateKey(
      this.#s.alg,
      extractable,
      USAGES,
    ) as CryptoKeyPair;
    if (!extractable) {
      const publicKey = new Uint8Array(
        await crypto.subtle.exportKey("raw", kp.publicKey),
      );
      publicOf.set(kp.privateKey, publicKey.slice());
      return { publicKey, privateKey: kp.privateKey };
    }
    // The private key's JWK holds both halves: one export, not two.
    const jwk = await crypto.subtle.exportKey("jwk", kp.privateKey);
    const publicKey = this.#s.jwkPublic(jwk);
    const privateKey = pad(fromB64url(jwk.d!), this.#s.privateLength);
    this.#raw.set(privateKey, {
      key: kp.privateKey,
      publicKey: publicKey.slice(),
    });
    return { publicKey, privateKey };
  }

  /** Imports a raw private key as a non-extractable `CryptoKey`. */
  async importPrivate(raw: Uint8Array): Promise<SignaturePrivateKey> {
    const { publicKey } = await this.#raw.get(raw, this.#importRaw);
    const { key } = await this.#importKey(raw, false, publicKey);
    publicOf.set(key, publicKey);
    return key;
  }

  /** The public key of a raw or `CryptoKey` private key. */
  async publicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array> {
    if (privateKey instanceof Uint8Array) {
      return (await this.#raw.get(privateKey, this.#importRaw)).publicKey
        .slice();
    }
    const known = publicOf.get(privateKey);
    if (known) return known.slice();
    if (privateKey.extractable) {
      const jwk = await crypto.subtle.exportKey("jwk", privateKey);
      const pub = this.#s.jwkPublic(jwk);
      publicOf.set(privateKey, pub);
      return pub.slice();
    }
    throw new MlsError(
      "invalid_argument",
      "the public key of this non-extractable key is unknown; keep it with the key",
    );
  }

  /** Signs `message`. */
  async sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array> {
    const key = privateKey instanceof Uint8Array
      ? (await this.#raw.get(privateKey, this.#importRaw)).key
      : privateKey;
    const sig = await crypto.subtle.sign(this.#s.params, key, buf(message));
    return this.#s.toWire(new Uint8Array(sig));
  }

  #importPublic = (raw: Uint8Array): Promise<CryptoKey> =>
    crypto.subtle.importKey("raw", buf(raw), this.#s.alg, false, ["verify"]);

  /** Verifies; malformed keys or signatures give `false`. */
  async verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    const sig = this.#s.fromWire(signature);
    if (!sig) return false;
    try {
      const key = await this.#pub.get(publicKey, this.#importPublic);
      return await crypto.subtle.verify(
        this.#s.params,
        key,
        buf(sig),
        buf(message),
      );
    } catch {
      return false;
    }
  }
}
