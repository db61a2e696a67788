/**
 * Command-line flags shared by the entry points of the other runtimes
 * (`node.ts`, `bun.ts`): `--port N` (0: any free port; default `PORT` or
 * 8080), `--hostname H` (default loopback), `--no-rate-limit`. They serve
 * the API from an in-memory store (one process: no database to share).
 *
 * @module
 */

import type { AppOptions } from "../options.ts";

/** What an entry point needs from its flags. */
export interface EntryFlags {
  /** Port to listen on. */
  port: number;
  /** Address to listen on. */
  hostname: string;
  /** App options from the flags. */
  options: AppOptions;
}

/** Reads the flags from `args` (without the runtime and script). */
export function entryFlags(
  args: readonly string[],
  env: Record<string, string | undefined>,
): EntryFlags {
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(flag("port") ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port ${flag("port")}: not a port`);
  }
  return {
    port,
    hostname: flag("hostname") ?? "127.0.0.1",
    options: args.includes("--no-rate-limit")
      ? { rateLimit: false, anonymousRateLimit: false }
      : {},
  };
}
