/**
 * Limits of the HTTP API that clients must respect, shared by the server
 * and the client binding so that the two cannot drift apart.
 *
 * @module
 */

/**
 * Most KeyPackage MLSMessages one `POST /v1/key-packages` may carry; more
 * are refused with `400 unexpected_message`. The client binding splits
 * larger uploads into requests of at most this many.
 */
export const MAX_KEY_PACKAGES_PER_UPLOAD = 20;

/**
 * Default largest key-package request body, bytes (`AppOptions.
 * maxKeyPackageBytes`); the client binding keeps each upload below it.
 */
export const DEFAULT_MAX_KEY_PACKAGE_BYTES = 64 * 1024;

/**
 * Longest signature public key, bytes, that a client id (its hex) may come
 * from: ids are path parameters (`hexParam` takes at most 1024 hex digits)
 * and parts of Deno KV keys (at most 2048 bytes each). Ed25519, Ed448 and
 * ECDSA keys are 32 to 133 bytes; ML-DSA keys (1312 to 2592 bytes, the
 * post-quantum suites' signatures) do not fit, and their key packages are
 * refused with `400 unsupported_cipher_suite`.
 */
export const MAX_SIGNATURE_KEY_BYTES = 512;
