/**
 * webmls: the Web API for Messaging Layer Security (RFC 9420).
 *
 * This entry point exports the error type, the crypto-provider interface
 * with providers for all seven RFC 9420 cipher suites, and the suite table.
 * The group API of the explainer (`MLS`, `GroupView`) is built on these.
 *
 * @example Pick a cipher suite's crypto
 * ```ts
 * import { CIPHER_SUITES, defaultProvider } from "@webmls/mls";
 * const cs = await defaultProvider().suite(1);
 * const digest = await cs.hash(new TextEncoder().encode("hello"));
 * console.log(CIPHER_SUITES[1].name, digest.length);
 * ```
 *
 * @module
 */

export { MlsError, type MlsErrorCode } from "./src/errors.ts";
export {
  type CipherSuiteId,
  createProvider,
  type CryptoProvider,
  defaultProvider,
  type HpkeExported,
  type HpkeKeyPair,
  type HpkeSealed,
  type ProviderOptions,
  type SignatureKeyPair,
  type SignaturePrivateKey,
  type SuiteCrypto,
} from "./providers/mod.ts";
export {
  CIPHER_SUITES,
  type CipherSuiteInfo,
} from "./src/crypto/cipher_suites.ts";
