/**
 * Between `node:http` and the fetch API: a `Request` for an incoming
 * message (aborted when its client goes away), a `Response` written to a
 * `ServerResponse` with backpressure, and a plain response written to the
 * raw socket of a refused upgrade.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";

function origin(host: string | null): string {
  // Only for building the URL: routing uses the path.
  return /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host ?? "")
    ? `http://${host}`
    : "http://localhost";
}

/** A fetch `Request` for `req`; `signal` ends it when the client is gone. */
export function toRequest(req: IncomingMessage, signal?: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", origin(headers.get("host")));
  const hasBody = method !== "GET" && method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = {
    method,
    headers,
    signal,
    body: hasBody
      ? Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
      : undefined,
    duplex: hasBody ? "half" : undefined,
  };
  return new Request(url, init);
}

/** Writes `r` to `res`, waiting for the client to read as it goes. */
export async function writeResponse(
  res: ServerResponse,
  r: Response,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  r.headers.forEach((v, k) => {
    if (k !== "set-cookie") headers[k] = v;
  });
  const cookies = r.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (res.destroyed) { // the client went away first (a long poll, say)
    await r.body?.cancel().catch(() => {});
    return;
  }
  res.writeHead(r.status, headers);
  if (!r.body) {
    res.end();
    return;
  }
  const reader = r.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.on("drain", go);
          res.on("close", go);
        });
      }
    }
    res.end();
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Answers a refused upgrade on its raw socket, then closes it. */
export async function writeRawResponse(
  socket: Duplex,
  r: Response,
): Promise<void> {
  const body = new Uint8Array(await r.arrayBuffer());
  let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ""}\r\n`;
  r.headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "connection") head += `${k}: ${v}\r\n`;
  });
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  const bytes = new Uint8Array([...new TextEncoder().encode(head), ...body]);
  socket.end(bytes);
}
