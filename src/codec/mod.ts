/**
 * The TLS presentation language codec (RFC 9420 §2.1).
 *
 * @module
 */
export * from "./codec.ts";
export { Reader } from "./reader.ts";
export { MAX_VARINT, Writer } from "./writer.ts";
