/**
 * Authenticating a consumer's fetch (`shared/export_wire.ts`): the request
 * time within the replay window, a signature by the consumer's key over
 * the origin, group, consumer, first epoch, time and nonce, then the nonce
 * recorded (after the signature, so no one else can spend a consumer's
 * nonces). The key is the one the group's current GroupContext lists, or,
 * for a consumer no longer listed (revoked, or the group moved on), the one
 * stored with its last accepted export: it can still fetch the epochs it
 * was authorized for, and nothing else was ever accepted for it.
 *
 * @module
 */

import { verifyWithLabel } from "../../src/crypto/labeled.ts";
import { bytesEqual, fromHex, utf8Decode } from "../../src/util/bytes.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { PublicState } from "../mls/public_state.ts";
import { fromBase64 } from "../shared/base64.ts";
import { FETCH_LABEL, fetchContent } from "../shared/export_wire.ts";
import { authorizedConsumers } from "./accept.ts";
import type { ExportStore } from "./store.ts";

/** A fetch request's parts, read from its URL and headers. */
export interface FetchRequest {
  /** The service's origin the consumer must have signed. */
  readonly origin: string;
  /** Group id, hex. */
  readonly groupId: string;
  /** Consumer id, hex of its UTF-8. */
  readonly consumerId: string;
  /** First epoch asked for. */
  readonly from: number;
  /** The time header. */
  readonly time: string | undefined;
  /** The nonce header. */
  readonly nonce: string | undefined;
  /** The signature header. */
  readonly signature: string | undefined;
}

function unauthorized(code: "invalid_request_signature", message: string) {
  return new ApiError(401, code, message);
}

/** The consumer's signature key (`403 consumer_not_authorized` if none). */
async function consumerKey(
  store: ExportStore,
  state: PublicState,
  groupId: string,
  consumerId: string,
): Promise<Uint8Array> {
  const id = fromHex(consumerId);
  const listed = authorizedConsumers(state).find((c) =>
    bytesEqual(c.consumerId, id)
  );
  if (listed) return listed.signatureKey;
  const stored = await store.consumer(groupId, consumerId);
  if (stored) return stored.signatureKey;
  throw new ApiError(
    403,
    "consumer_not_authorized",
    "the group never authorized this consumer",
  );
}

/**
 * Authenticates a fetch; throws `401 stale_request` (time outside the
 * window), `401 invalid_request_signature`, `401 replayed_request` (a
 * nonce seen in the window) or `403 consumer_not_authorized`.
 */
export async function authenticateFetch(
  store: ExportStore,
  state: PublicState,
  req: FetchRequest,
  now: number,
  windowMs: number,
): Promise<void> {
  const time = Number(req.time);
  if (!req.time || !/^\d{1,16}$/.test(req.time)) {
    throw badRequest("bad_request", "a time header is required");
  }
  if (!req.nonce || !/^([0-9a-f]{2}){16,64}$/.test(req.nonce)) {
    throw badRequest("bad_request", "a nonce of 16 to 64 bytes, hex");
  }
  if (Math.abs(now - time) > windowMs) {
    throw new ApiError(401, "stale_request", "the request time is too far off");
  }
  let signature: Uint8Array;
  try {
    signature = fromBase64(req.signature ?? "");
  } catch {
    throw unauthorized(
      "invalid_request_signature",
      "the signature is not base64",
    );
  }
  let consumerText: string;
  try {
    consumerText = utf8Decode(fromHex(req.consumerId));
  } catch {
    throw badRequest("bad_request", "the consumer id is not UTF-8");
  }
  const key = await consumerKey(store, state, req.groupId, req.consumerId);
  const content = fetchContent(
    req.origin,
    req.groupId,
    consumerText,
    req.from,
    time,
    req.nonce,
  );
  if (!await verifyWithLabel(state.cs, key, FETCH_LABEL, content, signature)) {
    throw unauthorized("invalid_request_signature", "bad request signature");
  }
  // Kept past both ends of the window: a time at its edge is seen twice.
  const fresh = await store.useNonce(
    `${req.groupId}/${req.consumerId}/${req.nonce}`,
    now,
    Math.max(now, time) + windowMs + 1,
  );
  if (!fresh) {
    throw new ApiError(401, "replayed_request", "this request was seen before");
  }
}
