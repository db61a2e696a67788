/**
 * Assembles a {@link SuiteCrypto} from its parts: a KDF (hash, HMAC, HKDF),
 * an AEAD, a signature scheme and an HPKE suite. Each part comes from
 * WebCrypto or a pure-JS library; this module only wires them together.
 *
 * @module
 */

import type {
  CipherSuiteId,
  HpkeExported,
  HpkeKeyPair,
  HpkeRecipient,
  HpkeSealed,
  SignatureKeyPair,
  SignaturePrivateKey,
  SuiteCrypto,
} from "./provider.ts";

/** Hash, HMAC and HKDF of one hash function. */
export interface KdfPart {
  /** `Nh`. */
  readonly hashLength: number;
  /** The hash's output length, where it is not `Nh` (optional). */
  readonly digestLength?: number;
  /** The hash. */
  hash(data: Uint8Array): Promise<Uint8Array>;
  /** HMAC. */
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Extract. */
  extract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Expand. */
  expand(
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;
  /** HKDF-Extract then HKDF-Expand in one step (optional). */
  extractExpand?(
    salt: Uint8Array,
    ikm: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;
}

/** An AEAD. */
export interface AeadPart {
  /** `Nk`. */
  readonly keyLength: number;
  /** `Nn`. */
  readonly nonceLength: number;
  /** Encrypts; the result carries the tag. */
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array>;
  /** Decrypts; throws `MlsError("crypto_failure")` on a bad tag. */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;
}

/** A signature scheme. */
export interface SignaturePart {
  /** A fresh key pair. */
  generate(extractable: boolean): Promise<SignatureKeyPair>;
  /** Imports a raw private key. */
  importPrivate(raw: Uint8Array): Promise<SignaturePrivateKey>;
  /** The public key of a private key. */
  publicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array>;
  /** Signs `message` with `privateKey`: the suite's signature scheme. */
  sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array>;
  /** Verifies; never throws. */
  verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
}

/** HPKE base mode with one KEM, KDF and AEAD. */
export interface HpkePart {
  /** Single-shot seal. */
  seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed>;
  /** Single-shot seals under one `info` (optional; else one by one). */
  sealMany?(
    recipients: readonly HpkeRecipient[],
    info: Uint8Array,
    aad: Uint8Array,
  ): Promise<HpkeSealed[]>;
  /**
   * Single-shot open; throws `MlsError("crypto_failure")`. `publicKey` is
   * the recipient's own, when the caller knows it.
   */
  open(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array>;
  /** Sender setup then `Export`. */
  exportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<HpkeExported>;
  /** Receiver setup then `Export`. */
  exportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array>;
  /** `DeriveKeyPair`. */
  deriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair>;
  /** A fresh key pair. */
  generateKeyPair(): Promise<HpkeKeyPair>;
  /** The public key of a private key. */
  publicKey(privateKey: Uint8Array): Promise<Uint8Array>;
}

/** The parts of one suite. */
export interface SuiteParts {
  /** Hash and KDF. */
  kdf: KdfPart;
  /** AEAD. */
  aead: AeadPart;
  /** The signature scheme. */
  signature: SignaturePart;
  /** HPKE. */
  hpke: HpkePart;
  /** Which implementation serves each part, for diagnostics. */
  implementation?: string;
}

/** A {@link SuiteCrypto} made of {@link SuiteParts}. */
export class ComposedSuite implements SuiteCrypto {
  /** The cipher suite id. */
  readonly id: CipherSuiteId;
  /** `KDF.Nh`. */
  readonly hashLength: number;
  /** The hash's output length. */
  readonly digestLength: number;
  /** `AEAD.Nk`. */
  readonly aeadKeyLength: number;
  /** `AEAD.Nn`. */
  readonly aeadNonceLength: number;
  /** Which implementation serves each part, for diagnostics. */
  readonly implementation?: string;
  #kdf: KdfPart;
  #aead: AeadPart;
  #signature: SignaturePart;
  #hpke: HpkePart;

  /**
   * Wires the parts together.
   *
   * @param id the suite id
   * @param parts the implementations of its primitives
   */
  constructor(id: CipherSuiteId, parts: SuiteParts) {
    this.id = id;
    this.#kdf = parts.kdf;
    this.#aead = parts.aead;
    this.#signature = parts.signature;
    this.#hpke = parts.hpke;
    this.hashLength = parts.kdf.hashLength;
    this.digestLength = parts.kdf.digestLength ?? parts.kdf.hashLength;
    this.aeadKeyLength = parts.aead.keyLength;
    this.aeadNonceLength = parts.aead.nonceLength;
    this.implementation = parts.implementation;
  }

  /** The suite's hash. */
  hash(data: Uint8Array): Promise<Uint8Array> {
    return this.#kdf.hash(data);
  }
  /** HMAC with the suite's hash. */
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    return this.#kdf.mac(key, data);
  }
  /** HKDF-Extract. */
  kdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
    return this.#kdf.extract(salt, ikm);
  }
  /** HKDF-Expand. */
  kdfExpand(
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    return this.#kdf.expand(prk, info, length);
  }
  /** HKDF-Extract then HKDF-Expand, in one step where the KDF has it. */
  async kdfExtractExpand(
    salt: Uint8Array,
    ikm: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    if (this.#kdf.extractExpand) {
      return this.#kdf.extractExpand(salt, ikm, info, length);
    }
    const prk = await this.#kdf.extract(salt, ikm);
    try {
      return await this.#kdf.expand(prk, info, length);
    } finally {
      prk.fill(0);
    }
  }
  /** AEAD encryption. */
  aeadSeal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#aead.seal(key, nonce, aad, plaintext);
  }
  /** AEAD decryption; throws `MlsError("crypto_failure")` on a bad tag. */
  aeadOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#aead.open(key, nonce, aad, ciphertext);
  }
  /** HPKE base-mode seal. */
  hpkeSeal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed> {
    return this.#hpke.seal(publicKey, info, aad, plaintext);
  }
  /** HPKE base-mode seals under one `info`, in recipient order. */
  hpkeSealMany(
    recipients: readonly HpkeRecipient[],
    info: Uint8Array,
    aad: Uint8Array,
  ): Promise<HpkeSealed[]> {
    if (this.#hpke.sealMany) {
      return this.#hpke.sealMany(recipients, info, aad);
    }
    return Promise.all(
      recipients.map((r) =>
        this.#hpke.seal(r.publicKey, info, aad, r.plaintext)
      ),
    );
  }
  /** HPKE base-mode open; throws `MlsError("crypto_failure")`. */
  hpkeOpen(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#hpke.open(
      privateKey,
      kemOutput,
      info,
      aad,
      ciphertext,
      publicKey,
    );
  }
  /** HPKE sender setup followed by `Export`. */
  hpkeExportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<HpkeExported> {
    return this.#hpke.exportSender(publicKey, info, exporterContext, length);
  }

  /** HPKE receiver setup followed by `Export`. */
  hpkeExportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#hpke.exportReceiver(
      privateKey,
      kemOutput,
      info,
      exporterContext,
      length,
      publicKey,
    );
  }
  /** The KEM's `DeriveKeyPair(ikm)`. */
  hpkeDeriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair> {
    return this.#hpke.deriveKeyPair(ikm);
  }
  /** A fresh HPKE key pair. */
  hpkeGenerateKeyPair(): Promise<HpkeKeyPair> {
    return this.#hpke.generateKeyPair();
  }
  /** The public key of an HPKE private key. */
  hpkePublicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    return this.#hpke.publicKey(privateKey);
  }
  /** A fresh signature key pair; extractable (raw bytes) by default. */
  signatureGenerateKeyPair(
    options?: { extractable?: boolean },
  ): Promise<SignatureKeyPair> {
    return this.#signature.generate(options?.extractable ?? true);
  }
  /** Imports a raw private key (test-vector format). */
  signatureImportPrivateKey(raw: Uint8Array): Promise<SignaturePrivateKey> {
    return this.#signature.importPrivate(raw);
  }
  /** The public key of a signature private key. */
  signaturePublicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array> {
    return this.#signature.publicKey(privateKey);
  }
  /** Signs; ECDSA signatures are DER-encoded. */
  sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#signature.sign(privateKey, message);
  }
  /** Verifies; malformed keys or signatures yield `false`. */
  verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    return this.#signature.verify(publicKey, message, signature);
  }
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array {
    return randomBytes(length);
  }
}

/**
 * Cryptographically secure random bytes (`crypto.getRandomValues`, in
 * chunks of its 65536-byte limit).
 *
 * @param length the number of bytes
 * @returns fresh random bytes
 */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  }
  return out;
}
