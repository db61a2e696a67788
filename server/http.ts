/**
 * Request helpers: bounded body reading, media-type checks, parameters.
 *
 * @module
 */

import { ApiError, badRequest } from "./errors.ts";
import { MLS_MEDIA_TYPE } from "./shared/wire.ts";

/** Reads a request body of at most `max` bytes (413 `body_too_large`). */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError(413, "body_too_large", `the body exceeds ${max} bytes`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads an `application/mls-message` body (415 otherwise). */
export function readMls(req: Request, max: number): Promise<Uint8Array> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim()
    .toLowerCase();
  if (type !== MLS_MEDIA_TYPE) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `send ${MLS_MEDIA_TYPE}`,
    );
  }
  return readBody(req, max);
}

/** Reads a small JSON body. */
export async function readJson(req: Request, max = 4096): Promise<unknown> {
  const bytes = await readBody(req, max);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest("bad_request", "the body is not JSON");
  }
}

/** A hex id from a path parameter (group and client ids). */
export function hexParam(value: string | undefined, what: string): string {
  if (!value || !/^[0-9a-f]{2,1024}$/.test(value) || value.length % 2) {
    throw badRequest("bad_request", `${what} must be lower-case hex`);
  }
  return value;
}

/** A cursor query parameter. */
export function cursorParam(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^[0-9a-z.]{1,1200}$/.test(value)) {
    throw badRequest("bad_request", "bad cursor");
  }
  return value;
}

/** A bounded integer query parameter. */
export function intParam(
  value: string | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === "") return dflt;
  const n = Number(value);
  if (!Number.isInteger(n)) throw badRequest("bad_request", "not an integer");
  return Math.min(max, Math.max(min, n));
}
