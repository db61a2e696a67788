/**
 * The key export service's HTTP protocol, shared by the service and the
 * consumer client (`@webmls/mls/export`).
 *
 * Members post a `SealedExports` (`src/messages/export_consumers.ts`) to
 * `POST /v1/groups/:groupId/exports` with their bearer token. A consumer
 * fetches with `GET /v1/groups/:groupId/exports/:consumerHex?from=E&wait=S`
 * (`consumerHex`: the hex of its id's UTF-8) and three headers: the time
 * (ms since 1970), a fresh random nonce (hex, 16 to 64 bytes) and
 * `SignWithLabel(signature_key, "webmls export fetch", ExportFetchTBS)`
 * (RFC 9420 §5.1.2; base64) where
 *
 * ```
 * struct {
 *   opaque origin<V>;       // the service's origin as the consumer reaches it
 *   opaque group_id<V>;
 *   opaque consumer_id<V>;
 *   uint64 from_epoch;
 *   uint64 time_ms;
 *   opaque nonce<V>;
 * } ExportFetchTBS;
 * ```
 *
 * The service refuses a time outside its replay window and a nonce it has
 * seen, so a captured request cannot be replayed; the origin keeps another
 * deployment from using it.
 *
 * @module
 */

import { Writer } from "../../src/codec/writer.ts";
import { fromHex, utf8Encode } from "../../src/util/bytes.ts";

/** `SignWithLabel` label of a fetch request. */
export const FETCH_LABEL = "webmls export fetch";
/** Header: the request time, ms since 1970 (decimal). */
export const EXPORT_TIME_HEADER = "webmls-export-time";
/** Header: the request's nonce, hex. */
export const EXPORT_NONCE_HEADER = "webmls-export-nonce";
/** Header: the request's signature, base64. */
export const EXPORT_SIGNATURE_HEADER = "webmls-export-signature";

/** One sealed export as the service returns it (JSON, base64 fields). */
export interface WireExport {
  /** The epoch it is of. */
  readonly epoch: number;
  /** The exporter label. */
  readonly label: string;
  /** The exporter context, base64. */
  readonly context: string;
  /** HPKE `enc`, base64. */
  readonly kemOutput: string;
  /** HPKE ciphertext, base64. */
  readonly ciphertext: string;
}

/** The body of a fetch: exports in epoch order, and where to go on. */
export interface WireExports {
  /** The exports of epochs `from` and later (at most a page). */
  readonly exports: WireExport[];
  /** The `from` of the next fetch. */
  readonly next: number;
}

/**
 * The signed content of a fetch (`ExportFetchTBS` above); `origin` is
 * normalized to its ASCII serialization.
 */
export function fetchContent(
  origin: string,
  groupId: string,
  consumerId: string,
  fromEpoch: number,
  timeMs: number,
  nonce: string,
): Uint8Array {
  const w = new Writer(128);
  w.opaque(utf8Encode(new URL(origin).origin));
  w.opaque(fromHex(groupId));
  w.opaque(utf8Encode(consumerId));
  w.u64(BigInt(fromEpoch));
  w.u64(BigInt(timeMs));
  w.opaque(fromHex(nonce));
  return w.finish();
}
