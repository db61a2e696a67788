/**
 * What route handlers share: the store, the options, the rate limiters,
 * and the authentication middleware.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { bearerToken, hashToken } from "./auth.ts";
import { StreamLimits } from "./connection_limits.ts";
import { ApiError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { RateLimiter } from "./rate_limit.ts";
import type { DeliveryStore } from "./store/store.ts";

/** What `server/serve.ts` passes for a WebSocket upgrade request. */
export interface UpgradeBinding {
  /** The `node:net` socket of the `node:http` server's `upgrade` event. */
  readonly socket: unknown;
  /** Bytes that arrived after the request headers. */
  readonly head: Uint8Array;
}

/** Hono environment of the app. */
export interface AppEnv {
  /** Set by {@link Services.auth}. */
  Variables: {
    /** The authenticated client. */
    clientId: string;
  };
  /**
   * `Deno.serve` passes its handler info (the remote address);
   * `server/serve.ts` passes the address and, for upgrades, the socket.
   */
  Bindings:
    | { remoteAddr?: { hostname?: string }; upgrade?: UpgradeBinding }
    | undefined;
}

/** The app's context. */
export type Ctx = Context<AppEnv>;

/** Shared services of the route handlers. */
export class Services {
  /** The store. */
  readonly store: DeliveryStore;
  /** Options with defaults. */
  readonly opts: ResolvedOptions;
  /** Open streams and waiting long polls, per token and in total. */
  readonly streams: StreamLimits;
  readonly #tokens: RateLimiter | undefined;
  readonly #anonymous: RateLimiter | undefined;

  /** @param store the store @param opts the options */
  constructor(store: DeliveryStore, opts: ResolvedOptions) {
    this.store = store;
    this.opts = opts;
    this.streams = new StreamLimits(opts.maxStreamsPerToken, opts.maxStreams);
    this.#tokens = opts.rateLimit ? new RateLimiter(opts.rateLimit) : undefined;
    this.#anonymous = opts.anonymousRateLimit
      ? new RateLimiter(opts.anonymousRateLimit)
      : undefined;
  }

  #limit(limiter: RateLimiter | undefined, key: string): void {
    const wait = limiter?.take(key) ?? 0;
    if (wait > 0) {
      throw new ApiError(429, "rate_limited", "too many requests", {
        retryAfter: wait,
      });
    }
  }

  /** Rate-limits an unauthenticated request by remote address. */
  limitAnonymous(c: Ctx): void {
    this.#limit(this.#anonymous, c.env?.remoteAddr?.hostname ?? "unknown");
  }

  /** Resolves a bearer token to its client (401), rate-limited per token. */
  async authenticate(token: string | null): Promise<string> {
    if (!token) {
      throw new ApiError(401, "unauthorized", "a bearer token is required");
    }
    const hash = await hashToken(token);
    const clientId = await this.store.clientByTokenHash(hash);
    if (!clientId) throw new ApiError(401, "unauthorized", "unknown token");
    this.#limit(this.#tokens, hash);
    return clientId;
  }

  /** Middleware: `Authorization: Bearer <token>` required. */
  auth: MiddlewareHandler<AppEnv> = async (c, next) => {
    const id = await this.authenticate(
      bearerToken(c.req.header("authorization")),
    );
    c.set("clientId", id);
    await next();
  };
}
