/**
 * Proof of possession of a client's signature key, for registration and
 * for token rotation or recovery. The service issues a single-use, expiring
 * challenge (`POST /v1/clients/challenge`); the client answers with a key
 * package (which names its signature key) and
 *
 * ```
 * struct {
 *   opaque purpose<V>;    // "register" or "token", ASCII
 *   opaque origin<V>;     // the service's origin, e.g. "https://chat.example"
 *   opaque challenge<V>;  // the challenge's 32 bytes
 * } WebmlsProofTBS;
 *
 * signature = SignWithLabel(signature_key, "webmls registration", WebmlsProofTBS)
 * ```
 *
 * (RFC 9420 §5.1.2: the signed bytes start with the label
 * `"MLS 1.0 webmls registration"`, which no MLS structure uses, so the
 * signature can never pass for a KeyPackage, LeafNode, GroupInfo or
 * message signature, §17.6). The origin is the one the client connects to,
 * so a proof made for one deployment fails at every other; the challenge
 * is consumed when used, so a proof works once.
 *
 * @module
 */

import { Writer } from "../../src/codec/writer.ts";
import { fromHex } from "../../src/util/bytes.ts";

/** The SignWithLabel label of proofs (without the `"MLS 1.0 "` prefix). */
export const PROOF_LABEL = "webmls registration";

/** What a proof is for: registering a new client, or a new bearer token. */
export type ProofPurpose = "register" | "token";

/** Request header carrying the challenge (64 lower-case hex digits). */
export const CHALLENGE_HEADER = "webmls-challenge";

/** Request header carrying the proof's signature (standard base64). */
export const SIGNATURE_HEADER = "webmls-signature";

/** `POST /v1/clients/challenge` response. */
export interface WireChallenge {
  /** 32 random bytes, hex: sign it within `expiresIn` seconds, once. */
  challenge: string;
  /** Seconds until the challenge expires. */
  expiresIn: number;
}

/** `POST /v1/clients` and `POST /v1/clients/token` response. */
export interface WireToken {
  /** The client id (hex signature key). */
  clientId: string;
  /** A fresh bearer token; any earlier one is revoked. */
  token: string;
}

/** Whether `text` is a well-formed challenge (64 lower-case hex digits). */
export function isChallenge(text: string | null | undefined): boolean {
  return /^[0-9a-f]{64}$/.test(text ?? "");
}

/**
 * The content that a proof signs (`WebmlsProofTBS` above). `origin` is
 * normalized to its ASCII serialization (`new URL(origin).origin`).
 */
export function proofContent(
  purpose: ProofPurpose,
  origin: string,
  challenge: string,
): Uint8Array {
  const text = new TextEncoder();
  const w = new Writer(160);
  w.opaque(text.encode(purpose));
  w.opaque(text.encode(new URL(origin).origin));
  w.opaque(fromHex(challenge));
  return w.finish();
}
