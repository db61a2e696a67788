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
