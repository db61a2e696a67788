/**
 * The `crypto.subtle` methods that the tests and benchmarks wrap to count
 * calls (every one the providers use).
 *
 * @module
 */

/** Method names of `SubtleCrypto` that do cryptographic work. */
export const SUBTLE_METHODS: readonly string[] = [
  "digest",
  "sign",
  "verify",
  "encrypt",
  "decrypt",
  "importKey",
  "exportKey",
  "generateKey",
  "deriveBits",
  "deriveKey",
];
