/**
 * HPKE base mode on the post-quantum KEMs: ML-KEM-512/768/1024 from
 * `@hpke/ml-kem` and X-Wing (MLKEM768-X25519) from `@hpke/hybridkem-x-wing`,
 * with `@hpke/core`'s key schedule and AEADs. Keys cross the API in their
 * HPKE serialized form (draft-ietf-hpke-pq-05 §3, §4): the public
 * encapsulation key, and the seed as private key (64 bytes for ML-KEM, 32
 * for X-Wing).
 *
 * `DeriveKeyPair` comes in two forms. draft-ietf-hpke-pq-05 (§3, §4)
 * derives the seed as `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "",
 * Nsk)` and accepts any `ikm`: the draft's MLS suites use it. `@hpke/*`
 * (and so ts-mls) take `SHAKE256(ikm, 32)` as X-Wing's seed and the 64-byte
 * `ikm` itself as ML-KEM's: the suites of ts-mls and OpenMLS keep that.
 *
 * @module
 */

import { CipherSuite, type KemInterface } from "@hpke/core";
import { MlKem1024, MlKem512, MlKem768 } from "@hpke/ml-kem";
import { XWing } from "@hpke/hybridkem-x-wing";
import { shake256 } from "@noble/hashes/sha3.js";
import type { CipherSuiteInfo } from "../src/crypto/cipher_suites.ts";
import { PQ_KEM } from "../src/crypto/pq_suites.ts";
import { aeadFor, kdfFor } from "./hpke_algorithms.ts";
import { MlsError } from "../src/errors.ts";
import type { HpkeExported, HpkeKeyPair, HpkeSealed } from "./provider.ts";
import { SecretCache } from "./key_cache.ts";
import type { HpkePart } from "./suite.ts";

/** A KEM of this module, with its key sizes. */
type PqKem = MlKem512 | MlKem768 | MlKem1024 | XWing;

/**
 * Whether `kem` is one of the post-quantum KEMs this module serves.
 *
 * @param kem an HPKE KEM id
 * @returns true for ML-KEM-512/768/1024 and X-Wing
 */
export function isPqKem(kem: number): boolean {
  return Object.values(PQ_KEM).includes(kem as never);
}

function kemFor(id: number): PqKem {
  switch (id) {
    case PQ_KEM.mlKem512:
      return new MlKem512();
    case PQ_KEM.mlKem768:
      return new MlKem768();
    case PQ_KEM.mlKem1024:
      return new MlKem1024();
    case PQ_KEM.xWing:
      return new XWing();
  }
  throw new MlsError("unsupported_cipher_suite", `unknown HPKE KEM ${id}`);
}

const HPKE_V1 = new TextEncoder().encode("HPKE-v1");
const DERIVE_KEY_PAIR = new TextEncoder().encode("DeriveKeyPair");

/**
 * `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", length)` under the KEM's
 * `suite_id` (draft-ietf-hpke-pq-05 §5; draft-ietf-hpke-hpke §4):
 * `SHAKE256(ikm || "HPKE-v1" || suite_id || I2OSP(len(label), 2) || label
 * || I2OSP(length, 2) || context, length)`.
 *
 * @param kem the KEM id (`suite_id = "KEM" || I2OSP(kem, 2)`)
 * @param ikm the input keying material
 * @param length the output length
 * @returns the derived seed
 */
export function deriveKeyPairSeed(
  kem: number,
  ikm: Uint8Array,
  length: number,
): Uint8Array {
  const label = DERIVE_KEY_PAIR;
  const input = new Uint8Array(
    ikm.length + HPKE_V1.length + 5 + 2 +
      label.length + 2,
  );
  let at = 0;
  const put = (b: ArrayLike<number>) => {
    input.set(b, at);
    at += b.length;
  };
  put(ikm);
  put(HPKE_V1);
  put([0x4b, 0x45, 0x4d, kem >> 8, kem & 0xff]);
  put([label.length >> 8, label.length & 0xff]);
  put(label);
  put([length >> 8, length & 0xff]);
  try {
    return shake256(input, { dkLen: length });
  } finally {
    input.fill(0);
  }
}

/** Options of {@link PqHpke}. */
export interface PqHpkeOptions {
  /**
   * `DeriveKeyPair` as draft-ietf-hpke-pq-05 defines it (labeled SHAKE256
   * seed derivation), instead of `@hpke/*`'s.
   */
  labeledDerive?: boolean;
}

function failure(message: string, cause: unknown): MlsError {
  return new MlsError("crypto_failure", message, undefined, { cause });
}

/** HPKE base mode for one MLS suite on a post-quantum KEM. */
export class PqHpke implements HpkePart {
  #kem: PqKem;
  #kemId: number;
  #labeled: boolean;
  #suite: CipherSuite;
  /** Public keys of serialized private keys (a key generation each). */
  #public = new SecretCache<Uint8Array>();

  /**
   * Builds the suite's HPKE `CipherSuite`.
   *
   * @param info the MLS suite's parameters (its KEM must be post-quantum)
   * @param options see {@link PqHpkeOptions}
   */
  constructor(info: CipherSuiteInfo, options: PqHpkeOptions = {}) {
    this.#kem = kemFor(info.kem);
    this.#kemId = info.kem;
    this.#labeled = options.labeledDerive ?? false;
    this.#suite = new CipherSuite({
      kem: this.#kem as KemInterface,
      kdf: kdfFor(info.kdf),
      aead: aeadFor(info.aead),
    });
  }

  #checkPublic(publicKey: Uint8Array): void {
    if (publicKey.length !== this.#kem.publicKeySize) {
      throw failure(
        `HPKE public key of ${publicKey.length} bytes, expected ${this.#kem.publicKeySize}`,
        undefined,
      );
    }
  }

  #checkPrivate(privateKey: Uint8Array): void {
    if (privateKey.length !== this.#kem.privateKeySize) {
      throw failure(
        `HPKE private key of ${privateKey.length} bytes, expected ${this.#kem.privateKeySize}`,
        undefined,
      );
    }
  }

  /** The key pair whose private key is the seed `raw`. */
  #pairOfSeed(raw: Uint8Array): Promise<CryptoKeyPair> {
    // X-Wing expands its 32-byte seed; ML-KEM 0.3.0's DeriveKeyPair takes
    // the 64-byte seed as it is, so it is the seed's key generation.
    return this.#kem instanceof XWing
      ? this.#kem.generateKeyPairDerand(raw)
      : this.#kem.deriveKeyPair(raw);
  }

  #derivePublic = async (raw: Uint8Array): Promise<Uint8Array> => {
    const pair = await this.#pairOfSeed(raw);
    return new Uint8Array(await this.#kem.serializePublicKey(pair.publicKey));
  };

  async #serialize(pair: CryptoKeyPair): Promise<HpkeKeyPair> {
    const [pub, priv] = await Promise.all([
      this.#kem.serializePublicKey(pair.publicKey),
      this.#kem.serializePrivateKey(pair.privateKey),
    ]);
    // Copies: `@hpke/*` may hand out the key object's own buffer, which
    // can be the caller's seed (wiped after use).
    const publicKey = new Uint8Array(pub).slice();
    const privateKey = new Uint8Array(priv).slice();
    this.#public.set(privateKey, publicKey.slice());
    return { publicKey, privateKey };
  }

  /** Single-shot base-mode seal to `publicKey`. */
  async seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed> {
    this.#checkPublic(publicKey);
    try {
      const recipientPublicKey = await this.#kem.deserializePublicKey(
        publicKey,
      );
      const { ct, enc } = await this.#suite.seal(
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
   * Single-shot base-mode open; throws `MlsError("crypto_failure")`. The
   * recipient's public key is not needed: decapsulation uses the seed.
   */
  async open(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    this.#checkPrivate(privateKey);
    try {
      const recipientKey = await this.#kem.deserializePrivateKey(privateKey);
      return new Uint8Array(
        await this.#suite.open(
          { recipientKey, enc: kemOutput, info },
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
    this.#checkPublic(publicKey);
    try {
      const recipientPublicKey = await this.#kem.deserializePublicKey(
        publicKey,
      );
      const ctx = await this.#suite.createSenderContext({
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

  /** Receiver setup, then `Export(exporterContext, length)`. */
  async exportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    this.#checkPrivate(privateKey);
    try {
      const recipientKey = await this.#kem.deserializePrivateKey(privateKey);
      const ctx = await this.#suite.createRecipientContext({
        recipientKey,
        enc: kemOutput,
        info,
      });
      return new Uint8Array(await ctx.export(exporterContext, length));
    } catch (cause) {
      throw failure("HPKE receiver export failed", cause);
    }
  }

  /**
   * The KEM's `DeriveKeyPair(ikm)`: draft-ietf-hpke-pq-05's with
   * `labeledDerive`, else `@hpke/*`'s (X-Wing's `SHAKE256(ikm, 32)` seed;
   * for ML-KEM, `ikm` must be the 64-byte seed itself).
   */
  async deriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair> {
    try {
      if (!this.#labeled) {
        return await this.#serialize(await this.#kem.deriveKeyPair(ikm));
      }
      const seed = deriveKeyPairSeed(
        this.#kemId,
        ikm,
        this.#kem.privateKeySize,
      );
      try {
        return await this.#serialize(await this.#pairOfSeed(seed));
      } finally {
        seed.fill(0);
      }
    } catch (cause) {
      throw failure("HPKE DeriveKeyPair failed", cause);
    }
  }

  /** A fresh key pair, serialized. */
  async generateKeyPair(): Promise<HpkeKeyPair> {
    try {
      return await this.#serialize(await this.#kem.generateKeyPair());
    } catch (cause) {
      throw failure("HPKE key generation failed", cause);
    }
  }

  /** The public key of a serialized private key (its seed's key pair). */
  async publicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    this.#checkPrivate(privateKey);
    try {
      return (await this.#public.get(privateKey, this.#derivePublic)).slice();
    } catch (cause) {
      throw failure("invalid HPKE private key", cause);
    }
  }
}
