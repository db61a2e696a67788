/**
 * The built-in crypto provider: all seven RFC 9420 cipher suites, and the
 * post-quantum suites of `src/crypto/pq_suites.ts` (ML-KEM and X-Wing HPKE
 * from `@hpke/ml-kem` and `@hpke/hybridkem-x-wing` in `pq_hpke.ts`; ML-DSA
 * from WebCrypto or `@noble/post-quantum` in `ml_dsa.ts`).
 *
 * `crypto.subtle` serves SHA-2, HMAC, HKDF, AES-GCM, ECDSA and (where the
 * runtime has them) Ed25519, X25519 and X448; HPKE comes from `@hpke/core`
 * (on WebCrypto) and its `@hpke/*` modules. ChaCha20-Poly1305 and Ed448 come
 * from `@noble/*`, and so do Ed25519 and X25519/X448 (through
 * `@hpke/dhkem-*`) when feature detection finds WebCrypto without them.
 *
 * @example Sign and verify with suite 1
 * ```ts
 * import { defaultProvider } from "./mod.ts";
 * const cs = await defaultProvider().suite(1);
 * const { publicKey, privateKey } = await cs.signatureGenerateKeyPair();
 * const msg = new TextEncoder().encode("hi");
 * const sig = await cs.sign(privateKey, msg);
 * console.log(await cs.verify(publicKey, msg, sig)); // true
 * ```
 *
 * @module
 */

import type { CipherSuiteInfo } from "../src/crypto/cipher_suites.ts";
import {
  type CodePoints,
  isDraftSuite,
  suiteTable,
} from "../src/crypto/pq_suites.ts";
import { MlsError } from "../src/errors.ts";
import type { CipherSuiteId, CryptoProvider, SuiteCrypto } from "./provider.ts";
import {
  detectWebCryptoFeatures,
  NO_OPTIONAL_FEATURES,
  type WebCryptoFeatures,
} from "./detect.ts";
import { HpkeSuite } from "./hpke.ts";
import { JsKdf } from "./js_kdf.ts";
import { mlDsa, type MlDsaScheme, NobleMlDsa, WebMlDsa } from "./ml_dsa.ts";
import { isPqKem, PqHpke } from "./pq_hpke.ts";
import { kdfPartFor } from "./split_kdf.ts";
import { NobleChaCha20Poly1305, NobleEdDsa } from "./pure_js.ts";
import { ComposedSuite, type SignaturePart } from "./suite.ts";
import { WebAesGcm, WebKdf } from "./webcrypto.ts";
import { WebSignature } from "./webcrypto_sig.ts";

export type {
  CipherSuiteId,
  CryptoProvider,
  HpkeExported,
  HpkeKeyPair,
  HpkeRecipient,
  HpkeSealed,
  SignatureKeyPair,
  SignaturePrivateKey,
  SuiteCrypto,
} from "./provider.ts";
export type { WebCryptoFeatures } from "./detect.ts";
export type { CodePoints } from "../src/crypto/pq_suites.ts";
export { derToP1363, p1363ToDer } from "./der.ts";

/** Options of {@link createProvider}. */
export interface ProviderOptions {
  /**
   * Use the pure-JS implementations of Ed25519, X25519 and X448 even where
   * WebCrypto has them (for tests, or to avoid a buggy native one).
   */
  forcePureJs?: boolean;
  /**
   * Hash, HMAC and HKDF (MLS's and HPKE's): `"webcrypto"` or `"js"`, which
   * computes them in JavaScript (`@noble/hashes`) for inputs up to 4 KiB
   * and with WebCrypto above. MLS hashes and derives mostly a few dozen
   * bytes at a time, and a WebCrypto call costs tens of microseconds
   * whatever its size. The default is {@link defaultKdf}: `"js"` on Deno,
   * where it was measured to make commits, their processing and small
   * messages faster (figures in `bench/README.md`), `"webcrypto"` on the
   * runtimes where it was not measured.
   */
  kdf?: "webcrypto" | "js";
  /**
   * How the post-quantum suites are numbered (`src/crypto/pq_suites.ts`):
   * `"draft"` (default: draft-ietf-mls-pq-ciphersuites-06's suites, in the
   * Private Use range until IANA assigns values), `"ts-mls"` (ts-mls's
   * twelve suites, 77 to 88), `"openmls"` (X-Wing at 0x004D), or a map of
   * suite names to code points. RFC 9420's suites 1 to 7 are always served.
   */
  codePoints?: CodePoints;
}

/**
 * The `kdf` a provider uses when its options name none: `"js"` on Deno
 * (`navigator.userAgent` starts with `Deno/`), where the comparison
 * benchmark measured it faster for commits, their processing and small
 * messages (`bench/README.md`), and `"webcrypto"` elsewhere, where it has
 * not been measured.
 *
 * @returns the runtime's default
 */
export function defaultKdf(): "webcrypto" | "js" {
  const nav = (globalThis as { navigator?: { userAgent?: string } })
    .navigator;
  return nav?.userAgent?.startsWith("Deno/") ? "js" : "webcrypto";
}

async function signatureFor(
  scheme: string,
  features: WebCryptoFeatures,
  forcePureJs: boolean,
): Promise<SignaturePart> {
  switch (scheme) {
    case "mldsa44":
    case "mldsa65":
    case "mldsa87":
      return await mlDsa(scheme as MlDsaScheme, forcePureJs);
    case "ed25519":
      return features.ed25519
        ? WebSignature.ed25519()
        : new NobleEdDsa("ed25519");
    case "ed448":
      return new NobleEdDsa("ed448");
    case "ecdsa_secp256r1_sha256":
      return WebSignature.ecdsa("P-256", "SHA-256");
    case "ecdsa_secp384r1_sha384":
      return WebSignature.ecdsa("P-384", "SHA-384");
    case "ecdsa_secp521r1_sha512":
      return WebSignature.ecdsa("P-521", "SHA-512");
  }
  throw new MlsError("unsupported_cipher_suite", `no signature ${scheme}`);
}

async function buildSuite(
  info: CipherSuiteInfo,
  features: WebCryptoFeatures,
  options: Required<Pick<ProviderOptions, "kdf" | "forcePureJs">>,
): Promise<SuiteCrypto> {
  const aead = info.aead === 0x0003
    ? new NobleChaCha20Poly1305()
    : new WebAesGcm(info.aead === 0x0001 ? 16 : 32);
  const js = options.kdf === "js" ? new JsKdf(info.hash) : undefined;
  const signature = await signatureFor(
    info.signature,
    features,
    options.forcePureJs,
  );
  const implementation = (hpke: string, kdf: string) =>
    [
      `signature: ${
        signature instanceof WebSignature || signature instanceof WebMlDsa
          ? "WebCrypto"
          : signature instanceof NobleMlDsa
          ? "@noble/post-quantum"
          : "@noble/curves"
      } ${info.signature}`,
      `HPKE: ${hpke}`,
      `AEAD: ${
        aead instanceof WebAesGcm ? "WebCrypto AES-GCM" : "@noble/ciphers"
      }`,
      `KDF: ${kdf}`,
    ].join("; ");
  if (isPqKem(info.kem)) {
    return new ComposedSuite(info.id, {
      kdf: kdfPartFor(
        info,
        (h) => options.kdf === "js" ? new JsKdf(h) : new WebKdf(h),
      ),
      aead,
      signature,
      hpke: new PqHpke(info, { labeledDerive: isDraftSuite(info.name) }),
      implementation: implementation(
        `@hpke/* ${info.kem}`,
        options.kdf === "js" ? "js (@noble/hashes)" : "WebCrypto",
      ),
    });
  }
  // With `kdf: "js"`, HPKE's key schedule and KEM use the same HKDF.
  const hpke = new HpkeSuite(info, features, { hkdf: js });
  return new ComposedSuite(info.id, {
    kdf: js ?? new WebKdf(info.hash),
    aead,
    signature,
    hpke,
    implementation: implementation(
      hpke.implementation,
      js ? "js (@noble/hashes)" : "WebCrypto",
    ),
  });
}

class Provider implements CryptoProvider {
  readonly name: string;
  readonly supportedSuites: readonly CipherSuiteId[];
  readonly suiteNames: Readonly<Record<string, CipherSuiteId>>;
  #table: Readonly<Record<number, CipherSuiteInfo>>;
  #features: () => Promise<WebCryptoFeatures>;
  #suites = new Map<CipherSuiteId, Promise<SuiteCrypto>>();

  #options: Required<Pick<ProviderOptions, "kdf" | "forcePureJs">>;

  constructor(options: ProviderOptions) {
    const forcePureJs = options.forcePureJs ?? false;
    this.#options = {
      kdf: options.kdf ?? defaultKdf(),
      forcePureJs,
    };
    this.#table = suiteTable(options.codePoints);
    this.supportedSuites = Object.freeze(
      Object.keys(this.#table).map(Number),
    );
    this.suiteNames = Object.freeze(
      Object.fromEntries(
        Object.values(this.#table).map((s) => [s.name, s.id]),
      ),
    );
    this.name = forcePureJs ? "webmls (pure-JS fallback)" : "webmls";
    if (this.#options.kdf !== "webcrypto") this.name += " (JS KDF)";
    this.#features = forcePureJs
      ? () => Promise.resolve(NO_OPTIONAL_FEATURES)
      : detectWebCryptoFeatures;
  }

  suite(id: CipherSuiteId): Promise<SuiteCrypto> {
    if (!(id in this.#table)) {
      return Promise.reject(
        new MlsError("unsupported_cipher_suite", `cipher suite ${id}`),
      );
    }
    let s = this.#suites.get(id);
    if (!s) {
      s = this.#features().then((f) =>
        buildSuite(this.#table[id], f, this.#options)
      );
      this.#suites.set(id, s);
    }
    return s;
  }
}

/**
 * A provider for all seven RFC 9420 cipher suites and the post-quantum
 * suites under `options.codePoints`' numbering. Suite objects are built
 * once per provider and reused.
 *
 * @param options see {@link ProviderOptions}
 * @returns a new provider
 */
export function createProvider(options: ProviderOptions = {}): CryptoProvider {
  return new Provider(options);
}

let shared: CryptoProvider | undefined;

/**
 * The shared default provider: native WebCrypto where feature detection
 * finds it, pure JS elsewhere.
 *
 * @returns the process-wide provider
 */
export function defaultProvider(): CryptoProvider {
  return shared ??= createProvider();
}
