/**
 * The crypto-provider interface: everything MLS needs from cryptography, per
 * cipher suite. webmls never implements a primitive itself; a provider maps
 * these calls onto WebCrypto, `@hpke/*` or `@noble/*`, or onto whatever the
 * application brings.
 *
 * @module
 */

/** A cipher suite identifier from the MLS registry (RFC 9420 §17.1). */
export type CipherSuiteId = number;

/** An HPKE key pair; both halves in their HPKE serialized form. */
export interface HpkeKeyPair {
  /** `SerializePublicKey` output (RFC 9180 §7.1.1). */
  publicKey: Uint8Array;
  /** `SerializePrivateKey` output (RFC 9180 §7.1.2). */
  privateKey: Uint8Array;
}

/** The two outputs of single-shot HPKE base-mode encryption. */
export interface HpkeSealed {
  /** The encapsulated key `enc`. */
  kemOutput: Uint8Array;
  /** The AEAD ciphertext, tag included. */
  ciphertext: Uint8Array;
}

/** One recipient of a batch of HPKE seals under one `info`. */
export interface HpkeRecipient {
  /** The recipient's serialized public key. */
  publicKey: Uint8Array;
  /** What to encrypt to it. */
  plaintext: Uint8Array;
}

/** The outputs of an HPKE sender setup followed by `Export`. */
export interface HpkeExported {
  /** The encapsulated key `enc`. */
  kemOutput: Uint8Array;
  /** The exported secret. */
  secret: Uint8Array;
}

/**
 * A signature private key. Raw bytes in the test-vector format (RFC 9420
 * test vectors: big-endian scalar for ECDSA, the seed for EdDSA), or a
 * provider-specific handle such as a non-extractable `CryptoKey`.
 */
export type SignaturePrivateKey = Uint8Array | CryptoKey;

/** A signature key pair. */
export interface SignatureKeyPair {
  /** The public key in the MLS wire format (raw point or EdDSA key). */
  publicKey: Uint8Array;
  /** The private key, raw or as an opaque handle. */
  privateKey: SignaturePrivateKey;
}

/**
 * The operations of one cipher suite. Every method is asynchronous because
 * WebCrypto is. Failures throw `MlsError` (`crypto_failure` for a rejected
 * ciphertext or key).
 */
export interface SuiteCrypto {
  /** The cipher suite id. */
  readonly id: CipherSuiteId;
  /**
   * Which implementation serves each primitive (WebCrypto or a pure-JS
   * fallback), for diagnostics; optional for other providers.
   */
  readonly implementation?: string;
  /** Output length of the suite's KDF (`KDF.Nh`). */
  readonly hashLength: number;
  /**
   * Output length of the suite's hash (and MAC), where it differs from
   * `hashLength` (ts-mls's post-quantum suites 77 to 80); else absent.
   */
  readonly digestLength?: number;
  /** AEAD key length (`AEAD.Nk`). */
  readonly aeadKeyLength: number;
  /** AEAD nonce length (`AEAD.Nn`). */
  readonly aeadNonceLength: number;

  /** The suite's hash function. */
  hash(data: Uint8Array): Promise<Uint8Array>;
  /** HMAC with the suite's hash. */
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Extract. */
  kdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Expand. */
  kdfExpand(
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;
  /**
   * `HKDF-Expand(HKDF-Extract(salt, ikm), info, length)`: what
   * {@link SuiteCrypto.kdfExtract} then {@link SuiteCrypto.kdfExpand} give,
   * in one step (WebCrypto's HKDF). Optional: callers fall back to the two.
   */
  kdfExtractExpand?(
    salt: Uint8Array,
    ikm: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;

  /** AEAD encryption; the result carries the tag. */
  aeadSeal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array>;
  /** AEAD decryption; throws `MlsError("crypto_failure")` on a bad tag. */
  aeadOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;

  /** HPKE base-mode single-shot seal (RFC 9180 §6.1). */
  hpkeSeal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed>;
  /**
   * HPKE base-mode single-shot seals of several plaintexts under one `info`
   * and `aad`: the same as {@link SuiteCrypto.hpkeSeal} for each recipient,
   * in order, with work that depends only on `info` done once. Optional:
   * callers fall back to `hpkeSeal` per recipient.
   */
  hpkeSealMany?(
    recipients: readonly HpkeRecipient[],
    info: Uint8Array,
    aad: Uint8Array,
  ): Promise<HpkeSealed[]>;
  /**
   * HPKE base-mode single-shot open; throws on failure. `publicKey`, the
   * recipient's own public key, saves recomputing it from `privateKey`
   * (a wrong one makes the open fail).
   */
  hpkeOpen(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array>;
  /**
   * HPKE base-mode sender setup followed by the secret export (RFC 9180
   * §5.3): used by external commits (RFC 9420 §8.3).
   */
  hpkeExportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<HpkeExported>;
  /**
   * The receiver side of {@link SuiteCrypto.hpkeExportSender};
   * `publicKey` as for {@link SuiteCrypto.hpkeOpen}.
   */
  hpkeExportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    publicKey?: Uint8Array,
  ): Promise<Uint8Array>;
  /** The KEM's `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3). */
  hpkeDeriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair>;
  /** A fresh random HPKE key pair. */
  hpkeGenerateKeyPair(): Promise<HpkeKeyPair>;
  /** The public key that belongs to an HPKE private key. */
  hpkePublicKey(privateKey: Uint8Array): Promise<Uint8Array>;

  /**
   * A fresh signature key pair. With `extractable: false` the private key is
   * a non-extractable `CryptoKey` where the runtime supports one.
   */
  signatureGenerateKeyPair(
    options?: { extractable?: boolean },
  ): Promise<SignatureKeyPair>;
  /** Imports a raw private key (test-vector format) for signing. */
  signatureImportPrivateKey(raw: Uint8Array): Promise<SignaturePrivateKey>;
  /** The public key that belongs to a signature private key. */
  signaturePublicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array>;
  /** Signs `message`; ECDSA signatures are DER-encoded as MLS requires. */
  sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array>;
  /** Verifies a signature; malformed keys or signatures yield `false`. */
  verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;

  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
}

/** A source of {@link SuiteCrypto} implementations. */
export interface CryptoProvider {
  /** A short name for diagnostics. */
  readonly name: string;
  /** The suite ids this provider can serve. */
  readonly supportedSuites: readonly CipherSuiteId[];
  /**
   * The code point of each suite it serves, by registry name (optional):
   * lets `new MLS({ cipherSuite: "MLS_…" })` take a name.
   */
  readonly suiteNames?: Readonly<Record<string, CipherSuiteId>>;
  /**
   * The operations of one suite; throws
   * `MlsError("unsupported_cipher_suite")` for a suite it cannot serve.
   */
  suite(id: CipherSuiteId): Promise<SuiteCrypto>;
}
