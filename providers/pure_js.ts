/**
 * The primitives WebCrypto lacks, from `@noble/*`: ChaCha20-Poly1305 (the
 * MLS AEAD of suites 3 and 6), Ed448, and Ed25519 for runtimes whose
 * WebCrypto has no Ed25519. Private keys here are always raw bytes (the
 * EdDSA seed); their public keys are cached per key buffer.
 *
 * @module
 */

import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { ed448 } from "@noble/curves/ed448.js";
import { MlsError } from "../src/errors.ts";
import type { SignatureKeyPair, SignaturePrivateKey } from "./provider.ts";
import { SecretCache } from "./key_cache.ts";
import type { AeadPart, SignaturePart } from "./suite.ts";

/** ChaCha20-Poly1305 (RFC 8439) from `@noble/ciphers`. */
export class NobleChaCha20Poly1305 implements AeadPart {
  /** `Nk`. */
  readonly keyLength = 32;
  /** `Nn`. */
  readonly nonceLength = 12;

  #check(key: Uint8Array, nonce: Uint8Array): void {
    if (key.length !== 32 || nonce.length !== 12) {
      throw new MlsError(
        "invalid_argument",
        "bad ChaCha20 key or nonce length",
      );
    }
  }

  /** Encrypts; the result is ciphertext || tag. */
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      this.#check(key, nonce);
      return Promise.resolve(
        chacha20poly1305(key, nonce, aad).encrypt(plaintext),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Decrypts; throws `MlsError("crypto_failure")` on a bad tag. */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      this.#check(key, nonce);
    } catch (e) {
      return Promise.reject(e);
    }
    try {
      return Promise.resolve(
        chacha20poly1305(key, nonce, aad).decrypt(ciphertext),
      );
    } catch (cause) {
      return Promise.reject(
        new MlsError("crypto_failure", "AEAD decryption failed", undefined, {
          cause,
        }),
      );
    }
  }
}

type Curve = typeof ed25519 | typeof ed448;

/** EdDSA (Ed25519 or Ed448, pure, empty context) from `@noble/curves`. */
export class NobleEdDsa implements SignaturePart {
  #curve: Curve;
  #seedLength: number;
  #sigLength: number;
  #pub = new SecretCache<Uint8Array>();

  /**
   * EdDSA on one curve.
   *
   * @param curve `"ed25519"` or `"ed448"`
   */
  constructor(curve: "ed25519" | "ed448") {
    this.#curve = curve === "ed25519" ? ed25519 : ed448;
    this.#seedLength = curve === "ed25519" ? 32 : 57;
    this.#sigLength = curve === "ed25519" ? 64 : 114;
  }

  #raw(privateKey: SignaturePrivateKey): Uint8Array {
    if (
      !(privateKey instanceof Uint8Array) ||
      privateKey.length !== this.#seedLength
    ) {
      throw new MlsError(
        "invalid_argument",
        "expected a raw EdDSA private key (the seed)",
      );
    }
    return privateKey;
  }

  #derive = (raw: Uint8Array): Promise<Uint8Array> =>
    Promise.resolve(this.#curve.getPublicKey(raw));

  /** A fresh key pair; private keys are always raw bytes here. */
  generate(_extractable: boolean): Promise<SignatureKeyPair> {
    const privateKey = this.#curve.utils.randomSecretKey();
    const publicKey = this.#curve.getPublicKey(privateKey);
    this.#pub.set(privateKey, publicKey);
    return Promise.resolve({ publicKey, privateKey });
  }

  /** Validates a raw private key; the key stays raw. */
  async importPrivate(raw: Uint8Array): Promise<SignaturePrivateKey> {
    await this.#pub.get(this.#raw(raw), this.#derive);
    return raw;
  }

  /** The public key of a raw private key. */
  async publicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array> {
    return (await this.#pub.get(this.#raw(privateKey), this.#derive)).slice();
  }

  /** Signs `message` (pure EdDSA, no context). */
  sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.#curve.sign(message, this.#raw(privateKey)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Verifies strictly (RFC 8032, not ZIP-215); never throws. */
  verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    try {
      return Promise.resolve(
        signature.length === this.#sigLength &&
          this.#curve.verify(signature, message, publicKey, { zip215: false }),
      );
    } catch {
      return Promise.resolve(false);
    }
  }
}
