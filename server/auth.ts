/**
 * Bearer tokens: 256 random bits, base64url; only their SHA-256 is stored.
 *
 * @module
 */

import { toHex } from "../src/util/bytes.ts";

/** A fresh token. */
export function newToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
}

/** SHA-256 of a token, hex. */
export async function hashToken(token: string): Promise<string> {
  const d = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(token),
  );
  return toHex(new Uint8Array(d));
}

/** The token of an `Authorization: Bearer` header, if well-formed. */
export function bearerToken(header: string | undefined | null): string | null {
  const m = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header ?? "");
  return m ? m[1] : null;
}
