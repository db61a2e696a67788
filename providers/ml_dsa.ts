/**
 * ML-DSA-44/65/87 signatures (FIPS 204, pure, empty context: the
 * `mldsa44`/`mldsa65`/`mldsa87` TLS signature schemes of
 * draft-ietf-tls-mldsa that draft-ietf-mls-pq-ciphersuites-06 §2 uses):
 * WebCrypto's `ML-DSA-*` where feature detection finds it, else
 * `@noble/post-quantum`.
 *
 * Raw private keys are the 32-byte seed ξ (FIPS 204 §6.1), from which both
 * implementations regenerate the key pair; WebCrypto imports it as
 * `"raw-seed"`. A non-extractable WebCrypto private key's public key is
 * remembered in a `WeakMap`, since it cannot be exported later.
 *
 * @module
 */

import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { MlsError } from "../src/errors.ts";
import type { SignatureKeyPair, SignaturePrivateKey } from "./provider.ts";
import { PublicCache, SecretCache } from "./key_cache.ts";
import type { SignaturePart } from "./suite.ts";

/** An ML-DSA parameter set, as the MLS signature scheme names it. */
export type MlDsaScheme = "mldsa44" | "mldsa65" | "mldsa87";

const PARAMS = {
  mldsa44: { name: "ML-DSA-44", noble: ml_dsa44, pk: 1312, sig: 2420 },
  mldsa65: { name: "ML-DSA-65", noble: ml_dsa65, pk: 1952, sig: 3309 },
  mldsa87: { name: "ML-DSA-87", noble: ml_dsa87, pk: 2592, sig: 4627 },
} as const;

/** The seed length of every parameter set (FIPS 204 §6.1, ξ). */
const SEED = 32;

function seedOf(privateKey: SignaturePrivateKey): Uint8Array {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== SEED) {
    throw new MlsError(
      "invalid_argument",
      "expected a raw ML-DSA private key (the 32-byte seed)",
    );
  }
  return privateKey;
}

function failure(message: string, cause: unknown): MlsError {
  return new MlsError("crypto_failure", message, undefined, { cause });
}

const USAGES: KeyUsage[] = ["sign", "verify"];

const probed = new Map<MlDsaScheme, Promise<boolean>>();

/**
 * Whether `crypto.subtle` has this ML-DSA parameter set: generate, sign,
 * verify, and import a seed. Probed once per process.
 *
 * @param scheme the parameter set
 * @returns true where WebCrypto can serve it
 */
export function detectWebMlDsa(scheme: MlDsaScheme): Promise<boolean> {
  let p = probed.get(scheme);
  if (!p) {
    p = (async () => {
      try {
        const s = crypto.subtle;
        const name = PARAMS[scheme].name;
        const kp = await s.generateKey(
          { name },
          false,
          USAGES,
        ) as CryptoKeyPair;
        const msg = new Uint8Array(1);
        const sig = await s.sign({ name }, kp.privateKey, msg);
        await s.importKey(
          "raw-seed" as "raw",
          new Uint8Array(SEED),
          {
            name,
          },
          false,
          ["sign"],
        );
        return await s.verify({ name }, kp.publicKey, sig, msg);
      } catch {
        return false;
      }
    })();
    probed.set(scheme, p);
  }
  return p;
}

/** ML-DSA from `@noble/post-quantum`; private keys are always seeds. */
export class NobleMlDsa implements SignaturePart {
  #p: (typeof PARAMS)[MlDsaScheme];
  #keys = new SecretCache<{ publicKey: Uint8Array; secretKey: Uint8Array }>();

  /**
   * One parameter set.
   *
   * @param scheme `"mldsa44"`, `"mldsa65"` or `"mldsa87"`
   */
  constructor(scheme: MlDsaScheme) {
    this.#p = PARAMS[scheme];
  }

  #expand = (seed: Uint8Array) => Promise.resolve(this.#p.noble.keygen(seed));

  /** A fresh key pair; the private key is the seed. */
  async generate(_extractable: boolean): Promise<SignatureKeyPair> {
    const privateKey = crypto.getRandomValues(new Uint8Array(SEED));
    const { publicKey } = await this.#keys.get(privateKey, this.#expand);
    return { publicKey: publicKey.slice(), privateKey };
  }

  /** Validates a seed; the key stays raw. */
  async importPrivate(raw: Uint8Array): Promise<SignaturePrivateKey> {
    await this.#keys.get(seedOf(raw), this.#expand);
    return raw;
  }

  /** The public key of a seed. */
  async publicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array> {
    return (await this.#keys.get(seedOf(privateKey), this.#expand)).publicKey
      .slice();
  }

  /** Signs `message` (hedged, empty context). */
  async sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array> {
    const { secretKey } = await this.#keys.get(
      seedOf(privateKey),
      this.#expand,
    );
    return this.#p.noble.sign(message, secretKey);
  }

  /** Verifies; malformed keys or signatures yield `false`. */
  verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    try {
      return Promise.resolve(
        publicKey.length === this.#p.pk &&
          signature.length === this.#p.sig &&
          this.#p.noble.verify(signature, message, publicKey),
      );
    } catch {
      return Promise.resolve(false);
    }
  }
}

/** Public keys of the private `CryptoKey`s created or imported here. */
const publicOf = new WeakMap<CryptoKey, Uint8Array>();

/** ML-DSA on `crypto.subtle` (where {@link detectWebMlDsa} finds it). */
export class WebMlDsa implements SignaturePart {
  #p: (typeof PARAMS)[MlDsaScheme];
  #seeds = new SecretCache<CryptoKey>();
  #pub = new PublicCache<CryptoKey>();

  /**
   * One parameter set.
   *
   * @param scheme `"mldsa44"`, `"mldsa65"` or `"mldsa87"`
   */
  constructor(scheme: MlDsaScheme) {
    this.#p = PARAMS[scheme];
  }

  get #alg(): Algorithm {
    return { name: this.#p.name };
  }

  /** Imports a seed; its public key comes from the JWK's `pub`. */
  #importSeed = async (seed: Uint8Array): Promise<CryptoKey> => {
    try {
      const s = crypto.subtle;
      // Extractable only to read the public key; the key kept is not.
      const tmp = await s.importKey(
        "raw-seed" as "raw",
        seed as Uint8Array<ArrayBuffer>,
        this.#alg,
        true,
        ["sign"],
      );
      const jwk = await s.exportKey("jwk", tmp) as JsonWebKey & {
        pub?: string;
        priv?: string;
      };
      delete jwk.priv;
      const key = await s.importKey(
        "raw-seed" as "raw",
        seed as Uint8Array<ArrayBuffer>,
        this.#alg,
        false,
        ["sign"],
      );
      publicOf.set(key, fromB64url(jwk.pub ?? ""));
      return key;
    } catch (cause) {
      throw failure("invalid ML-DSA private key", cause);
    }
  };

  /**
   * A fresh key pair: a non-extractable `CryptoKey` with `extractable:
   * false`, else the raw seed.
   */
  async generate(extractable: boolean): Promise<SignatureKeyPair> {
    if (extractable) {
      const seed = crypto.getRandomValues(new Uint8Array(SEED));
      const key = await this.#seeds.get(seed, this.#importSeed);
      return { publicKey: publicOf.get(key)!.slice(), privateKey: seed };
    }
    const kp = await crypto.subtle.generateKey(
      this.#alg,
      false,
      USAGES,
    ) as CryptoKeyPair;
    const publicKey = new Uint8Array(
      await crypto.subtle.exportKey("raw-public" as "raw", kp.publicKey),
    );
    publicOf.set(kp.privateKey, publicKey.slice());
    return { publicKey, privateKey: kp.privateKey };
  }

  /** Imports a seed as a non-extractable `CryptoKey`. */
  async importPrivate(raw: Uint8Array): Promise<SignaturePrivateKey> {
    return await this.#importSeed(seedOf(raw));
  }

  async #key(privateKey: SignaturePrivateKey): Promise<CryptoKey> {
    if (privateKey instanceof Uint8Array) {
      return await this.#seeds.get(seedOf(privateKey), this.#importSeed);
    }
    return privateKey;
  }

  /**
   * The public key of a seed, of a `CryptoKey` made here, or of an
   * extractable one (from its JWK's `pub`).
   */
  async publicKey(privateKey: SignaturePrivateKey): Promise<Uint8Array> {
    const key = await this.#key(privateKey);
    let pub = publicOf.get(key);
    if (!pub && key.extractable) {
      const jwk = await crypto.subtle.exportKey("jwk", key) as JsonWebKey & {
        pub?: string;
        priv?: string;
      };
      delete jwk.priv;
      pub = fromB64url(jwk.pub ?? "");
      publicOf.set(key, pub);
    }
    if (!pub) {
      throw new MlsError(
        "invalid_argument",
        "the public key of this non-extractable key is unknown; keep it with the key",
      );
    }
    return pub.slice();
  }

  /** Signs `message` (hedged, empty context). */
  async sign(
    privateKey: SignaturePrivateKey,
    message: Uint8Array,
  ): Promise<Uint8Array> {
    const key = await this.#key(privateKey);
    try {
      return new Uint8Array(
        await crypto.subtle.sign(
          this.#alg,
          key,
          message as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch (cause) {
      throw failure("ML-DSA signing failed", cause);
    }
  }

  #importPublic = (bytes: Uint8Array): Promise<CryptoKey> =>
    crypto.subtle.importKey(
      "raw-public" as "raw",
      bytes as Uint8Array<ArrayBuffer>,
      this.#alg,
      true,
      ["verify"],
    );

  /** Verifies; malformed keys or signatures yield `false`. */
  async verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    if (publicKey.length !== this.#p.pk || signature.length !== this.#p.sig) {
      return false;
    }
    try {
      const key = await this.#pub.get(publicKey, this.#importPublic);
      return await crypto.subtle.verify(
        this.#alg,
        key,
        signature as Uint8Array<ArrayBuffer>,
        message as Uint8Array<ArrayBuffer>,
      );
    } catch {
      return false;
    }
  }
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The ML-DSA implementation for a parameter set: WebCrypto's where it
 * works, else `@noble/post-quantum`'s.
 *
 * @param scheme the parameter set
 * @param forcePureJs use `@noble/post-quantum` even where WebCrypto has it
 * @returns the signature part
 */
export async function mlDsa(
  scheme: MlDsaScheme,
  forcePureJs: boolean,
): Promise<SignaturePart> {
  return !forcePureJs && await detectWebMlDsa(scheme)
    ? new WebMlDsa(scheme)
    : new NobleMlDsa(scheme);
}
