/**
 * Calls from the worker to its Durable Objects: `POST /rpc/<method>` with
 * the arguments as JSON, bytes as `{ "$b": base64 }`. (Workers' native
 * RPC needs a base class from `cloudflare:workers`, which Deno cannot
 * resolve; this keeps the objects plain classes with a `fetch`.)
 *
 * @module
 */

import { fromBase64, toBase64 } from "../shared/base64.ts";
import type { DurableStub } from "./types.ts";

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b: toBase64(value) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (
    value && typeof value === "object" && !Array.isArray(value) &&
    typeof (value as { $b?: unknown }).$b === "string" &&
    Object.keys(value).length === 1
  ) {
    return fromBase64((value as { $b: string }).$b);
  }
  return value;
}

/** Encodes a value with its bytes. */
export function encode(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, replacer);
}

/** Decodes what {@link encode} made. */
export function decode<T>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

/** Calls `method` of the object behind `stub`. */
export async function call<T>(
  stub: DurableStub,
  method: string,
  ...args: unknown[]
): Promise<T> {
  const res = await stub.fetch(`https://do/rpc/${method}`, {
    method: "POST",
    body: encode(args),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${text}`);
  return decode<T>(text);
}

/** The methods an object serves, by name. */
// deno-lint-ignore no-explicit-any
export type Methods = Record<string, (...args: any[]) => unknown>;

/** Serves a call: the method of `methods` named by the path. */
export async function serveRpc(
  methods: Methods,
  request: Request,
): Promise<Response> {
  const method = new URL(request.url).pathname.replace(/^\/rpc\//, "");
  if (!Object.hasOwn(methods, method)) {
    return new Response("no such method", { status: 404 });
  }
  const args = decode<unknown[]>(await request.text());
  return new Response(encode(await methods[method](...args)));
}
