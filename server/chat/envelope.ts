/**
 * What the chat page puts in an MLS application message: a small JSON
 * envelope `{ "v": 1, "text": "...", "at": <ms> }`, so that a message
 * carries the time its sender wrote it (authenticated as the sender's,
 * like the text, by MLS). Anything else (a plain text from another client)
 * is shown as text, stamped with the time it arrived.
 *
 * @module
 */

/** Longest text the page sends, characters. */
export const MAX_TEXT = 4000;

/** A message's text and time. */
export interface ChatText {
  /** The text. */
  readonly text: string;
  /** When it was written, ms since 1970 (never later than its arrival). */
  readonly at: number;
}

/**
 * The envelope of `text` written at `at`.
 *
 * @example
 * ```ts
 * import { openEnvelope, sealEnvelope } from "./envelope.ts";
 * const m = openEnvelope(sealEnvelope("hi", 1000), 2000);
 * console.log(m.text, m.at); // "hi" 1000
 * ```
 */
export function sealEnvelope(text: string, at: number): string {
  return JSON.stringify({ v: 1, text, at });
}

/**
 * Reads a received message: the envelope's text and time, or the whole
 * message as text at `arrived`. A time later than `arrived` (a skewed or
 * lying clock) is shown as `arrived`.
 */
export function openEnvelope(message: string, arrived: number): ChatText {
  try {
    const m = JSON.parse(message);
    if (
      m && m.v === 1 && typeof m.text === "string" &&
      Number.isFinite(m.at) && m.at > 0
    ) return { text: m.text, at: Math.min(m.at, arrived) };
  } catch { /* plain text */ }
  return { text: message, at: arrived };
}

/**
 * A short fingerprint of a client id (its signature key, hex): the first
 * 16 hex digits in groups of four, for people to compare; the full id is
 * what a copy button gives.
 *
 * @example
 * ```ts
 * import { fingerprint } from "./envelope.ts";
 * console.log(fingerprint("0123456789abcdef0123")); // "0123 4567 89ab cdef"
 * ```
 */
export function fingerprint(clientId: string): string {
  return (clientId.slice(0, 16).match(/.{1,4}/g) ?? []).join(" ");
}
