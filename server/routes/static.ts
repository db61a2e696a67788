/**
 * The chat page: `GET /` and `GET /static/<file>` from the static
 * directory, and the browser bundle of the library at
 * `/static/webmls.mjs`. Deno only (files are read with `Deno.readFile`):
 * the Deno entries serve the page, the other runtimes' entries the API.
 *
 * @module
 */

import type { Hono } from "hono";
import type { AppEnv, Services } from "../context.ts";
import { ApiError } from "../errors.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

async function file(path: string, name: string): Promise<Response> {
  try {
    const bytes = await Deno.readFile(path);
    return new Response(bytes, {
      headers: {
        "content-type": TYPES[name.split(".").pop() ?? ""] ??
          "application/octet-stream",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  } catch {
    throw new ApiError(404, "not_found", "no such file");
  }
}

/** Adds the page routes when a static directory is configured. */
export function staticRoutes(app: Hono<AppEnv>, s: Services): void {
  const dir = s.opts.staticDir;
  if (!dir) return;
  app.get("/", () => file(`${dir}/index.html`, "index.html"));
  app.get("/favicon.ico", () => new Response(null, { status: 204 }));
  app.get("/static/:name", (c) => {
    const name = c.req.param("name");
    if (name === "webmls.mjs" && s.opts.bundlePath) {
      return file(s.opts.bundlePath, name);
    }
    if (!/^[a-z0-9_-]+\.(html|js|mjs|css|svg)$/.test(name)) {
      throw new ApiError(404, "not_found", "no such file");
    }
    return file(`${dir}/${name}`, name);
  });
}
