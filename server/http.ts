/**
 * Request helpers: bounded body reading (in size and in time), media-type
 * checks, parameters.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { ApiError, badRequest } from "./errors.ts";
import { MLS_MEDIA_TYPE } from "./shared/wire.ts";

/** Body deadlines of requests in flight, set by {@link bodyDeadline}. */
const deadlines = new WeakMap<Request, number>();

/** The body timeout where no {@link bodyDeadline} middleware ran. */
const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/**
 * Middleware: every body read of this request must finish within
 * `timeoutMs` of the request's start (`408 body_timeout` otherwise), so a
 * client that stops sending mid-body does not hold a handler forever.
 */
export function bodyDeadline(timeoutMs: number): MiddlewareHandler {
  return async (c, next) => {
    deadlines.set(c.req.raw, Date.now() + timeoutMs);
    await next();
  };
}

/**
 * Reads a request body of at most `max` bytes (413 `body_too_large`)
 * before the request's body deadline (408 `body_timeout`).
 */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError(413, "body_too_large", `the body exceeds ${max} bytes`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const deadline = deadlines.get(req) ?? Date.now() + DEFAULT_BODY_TIMEOUT_MS;
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ApiError(408, "body_timeout", "the body did not arrive in time"),
        ),
      Math.max(0, deadline - Date.now()),
    );
  });
  late.catch(() => {}); // raced below; never an unhandled rejection
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), late]);
      if (done) break;
      total += value.length;
      if (total > max) throw tooLarge();
      parts.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
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
