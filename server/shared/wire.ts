/**
 * JSON shapes of the HTTP API shared by the server and the client binding.
 *
 * @module
 */

/** Media type of MLS messages (RFC 9420 §17.1). */
export const MLS_MEDIA_TYPE = "application/mls-message";

/** WebSocket subprotocol of the inbox stream. */
export const STREAM_PROTOCOL = "webmls.v1";

/** Prefix of the WebSocket subprotocol that carries the bearer token. */
export const STREAM_AUTH_PREFIX = "webmls.auth.";

/** An inbox message as JSON: the MLS bytes in standard base64. */
export interface WireInboxMessage {
  /** Position in the inbox; pass it as `after` and to `ack`. */
  cursor: string;
  /** Group id, hex. */
  groupId: string;
  /** `welcome`, `commit`, `proposal` or `application`. */
  kind: "welcome" | "commit" | "proposal" | "application";
  /** Epoch the message was sent in (a Welcome: the epoch it joins). */
  epoch: number;
  /** The group's sequence number of the message. */
  seq: number;
  /** The MLSMessage, base64. */
  message: string;
}

/** `GET /v1/inbox` response. */
export interface WireInbox {
  /** Messages in inbox order. */
  messages: WireInboxMessage[];
  /** The last message's cursor, or the `after` given. */
  cursor: string | null;
}

/** A JSON error body. */
export interface WireError {
  /** The error. */
  error: {
    /** Stable code. */
    code: string;
    /** A human-readable explanation, not to be matched on. */
    message: string;
    /** For `epoch_conflict`: the group's current epoch. */
    epoch?: number;
  };
}
