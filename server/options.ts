/**
 * Options of {@link createApp}, with their defaults.
 *
 * @module
 */

import { defaultProvider } from "../providers/mod.ts";
import type { CryptoProvider } from "../providers/provider.ts";
import { DEFAULT_MAX_KEY_PACKAGE_BYTES } from "./shared/limits.ts";
import type { ClaimLimits } from "./store/store.ts";
import { MemoryNameStore } from "./store/memory_names.ts";
import type { NameStore } from "./store/names.ts";
import type { ExportStore } from "./exports/store.ts";
import { denoWebSocket } from "./adapters/deno_ws.ts";
import type { WebSocketUpgrader } from "./socket.ts";

export type { ClaimLimits } from "./store/store.ts";

/** Token-bucket rate limit: `burst` requests, refilled at `perSecond`. */
export interface RateLimit {
  /** Bucket size. */
  burst: number;
  /** Refill rate, requests per second. */
  perSecond: number;
}

/** Options of the delivery service app; all optional. */
export interface AppOptions {
  /** Crypto for validating key packages and GroupInfos. */
  provider?: CryptoProvider;
  /** Accepted cipher suites (default: all seven). */
  cipherSuites?: readonly number[];
  /** Largest group post (commit bundle or message), bytes (default 512 KiB). */
  maxMessageBytes?: number;
  /** Largest key-package upload, bytes (default 64 KiB). */
  maxKeyPackageBytes?: number;
  /** Key packages a client may keep in the directory (default 100). */
  maxKeyPackagesPerClient?: number;
  /** Per-token rate limit (default 200 burst, 100/s); `false` disables. */
  rateLimit?: RateLimit | false;
  /** Rate limit of unauthenticated requests per remote address (default 20 burst, 2/s). */
  anonymousRateLimit?: RateLimit | false;
  /** Longest long poll, seconds (default 30). */
  maxWaitSeconds?: number;
  /**
   * Time a client has to send a request's headers, ms (default 15 s). Only
   * the entry point's server enforces it (`server/serve.ts`): `Deno.serve`
   * has no such limit.
   */
  headersTimeoutMs?: number;
  /**
   * Time a client has to send a request body once its headers are in, ms
   * (default 30 s): `408 body_timeout`, and the connection is closed.
   */
  bodyTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open between requests,
   * ms (default 30 s; entry point only, like `headersTimeoutMs`).
   */
  idleTimeoutMs?: number;
  /** Open TCP connections the entry point accepts (default 2048). */
  maxConnections?: number;
  /**
   * Open WebSocket streams plus waiting long polls per token (default 8):
   * `429 too_many_streams` beyond.
   */
  maxStreamsPerToken?: number;
  /**
   * Open WebSocket streams plus waiting long polls in this process
   * (default 1000): `503 server_busy` beyond.
   */
  maxStreams?: number;
  /**
   * A stream whose client answers no WebSocket ping within this is closed,
   * ms (default 60 s; whole seconds, at least one).
   */
  streamIdleTimeoutMs?: number;
  /** A quiet stream sends `{"type":"ping"}` this often, ms (default 25 s). */
  streamPingMs?: number;
  /** Directory of the chat page; `false`: no page (default: none). */
  staticDir?: string | false;
  /** The browser bundle served at `/static/webmls.mjs` (default: none). */
  bundlePath?: string;
  /** The clock (tests). */
  now?: () => Date;
  /**
   * The display names (`routes/names.ts`; default: a new
   * `MemoryNameStore`, so give a `KvNameStore` when the delivery store is
   * persistent).
   */
  names?: NameStore;
  /**
   * How long a client's previous display name stays held for it after a
   * rename, ms (default 30 days): nobody else can take it meanwhile.
   */
  nameHoldMs?: number;
  /**
   * Limits on claims of a client's regular key packages (RFC 9420 §16.8),
   * per window of `windowSeconds` (default 3600): `perPair` by one
   * requester of one target (default 4), `perRequester` by one requester in
   * total (default 100), `perTarget` of one target in total (default 20).
   * Beyond a limit a claim gets the target's last-resort package, or
   * `429 rate_limited` if it has none. `false` disables the limits.
   */
  keyPackageClaims?: ClaimLimits | false;
  /** Lifetime of a registration challenge, seconds (default 300). */
  challengeTtlSeconds?: number;
  /**
   * This deployment's public origin (e.g. `https://chat.example`), which
   * registration and token proofs must name. Default: the origin of each
   * request's URL. Set it when the service is reachable under a known
   * name: then a proof that a client made for another origin is refused
   * whatever `Host` header comes with it.
   */
  origin?: string;
  /**
   * Handshake policy of every group (default `"any"`). `"public"`: proposals
   * and commits must be PublicMessages, which the service verifies against
   * the group's public state (sender, signature, proposal rules, the new
   * tree and transcript against the posted GroupInfo), so a member cannot
   * wedge a group with a commit no one can process. `"any"`: PrivateMessage
   * handshakes are accepted unread (members recover from a bad one by
   * resync); a group may still ask for `"public"` at creation
   * (`POST /v1/groups?handshakes=public`).
   */
  handshakes?: HandshakePolicy;
  /**
   * The key export service's store: given, its routes are mounted
   * (`server/exports/`, README "Key export"); absent, they are not.
   */
  exports?: ExportStore;
  /**
   * Mount the delivery service's routes (default true). `false` with
   * `exports` deploys the key export service alone (an edge function over
   * the same database as the delivery service, whose groups' GroupInfos
   * and client tokens it reads).
   */
  delivery?: boolean;
  /**
   * How far a consumer's fetch time may be from the service's clock,
   * seconds (default 60): its replay window.
   */
  exportReplayWindowSeconds?: number;
  /**
   * Most copies of one export (group, epoch, consumer, label, context) the
   * key export service keeps, one per posting member (default 32). Members
   * cannot replace each other's copies, so a member posting garbage cannot
   * keep an honest copy from the consumer unless this many members collude
   * and post first; beyond it a post is `409 too_many_copies`.
   */
  maxExportCopies?: number;
  /**
   * A waiting export fetch or stream is woken when an export is stored
   * (`ExportStore.subscribe`); it also lists again this often in case a
   * wake-up was lost (ms, default 5000).
   */
  exportRecheckMs?: number;
  /**
   * How the runtime upgrades a request to a WebSocket (default: Deno's,
   * `server/adapters/deno_ws.ts`); the entry points of other runtimes pass
   * theirs (`server/adapters/`).
   */
  webSocket?: WebSocketUpgrader;
}

/** Whether a group's handshake messages must be PublicMessages. */
export type HandshakePolicy = "public" | "any";

/** Options with defaults filled in. */
export type ResolvedOptions =
  & Required<Omit<AppOptions, "bundlePath" | "origin" | "exports">>
  & {
    bundlePath?: string;
    origin?: string;
    exports?: ExportStore;
  };

/** Fills in defaults. */
export function resolveOptions(o: AppOptions = {}): ResolvedOptions {
  return {
    provider: o.provider ?? defaultProvider(),
    cipherSuites: o.cipherSuites ?? [1, 2, 3, 4, 5, 6, 7],
    maxMessageBytes: o.maxMessageBytes ?? 512 * 1024,
    maxKeyPackageBytes: o.maxKeyPackageBytes ?? DEFAULT_MAX_KEY_PACKAGE_BYTES,
    maxKeyPackagesPerClient: o.maxKeyPackagesPerClient ?? 100,
    rateLimit: o.rateLimit ?? { burst: 200, perSecond: 100 },
    anonymousRateLimit: o.anonymousRateLimit ?? { burst: 20, perSecond: 2 },
    maxWaitSeconds: o.maxWaitSeconds ?? 30,
    headersTimeoutMs: o.headersTimeoutMs ?? 15_000,
    bodyTimeoutMs: o.bodyTimeoutMs ?? 30_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    maxConnections: o.maxConnections ?? 2048,
    maxStreamsPerToken: o.maxStreamsPerToken ?? 8,
    maxStreams: o.maxStreams ?? 1000,
    streamIdleTimeoutMs: o.streamIdleTimeoutMs ?? 60_000,
    streamPingMs: o.streamPingMs ?? 25_000,
    staticDir: o.staticDir ?? false,
    bundlePath: o.bundlePath,
    now: o.now ?? (() => new Date()),
    names: o.names ?? new MemoryNameStore(),
    nameHoldMs: o.nameHoldMs ?? 30 * 24 * 3600 * 1000,
    keyPackageClaims: o.keyPackageClaims ?? {
      windowSeconds: 3600,
      perPair: 4,
      perRequester: 100,
      perTarget: 20,
    },
    challengeTtlSeconds: o.challengeTtlSeconds ?? 300,
    origin: o.origin === undefined ? undefined : new URL(o.origin).origin,
    handshakes: o.handshakes ?? "any",
    exports: o.exports,
    delivery: o.delivery ?? true,
    exportReplayWindowSeconds: o.exportReplayWindowSeconds ?? 60,
    maxExportCopies: o.maxExportCopies ?? 32,
    exportRecheckMs: o.exportRecheckMs ?? 5000,
    webSocket: o.webSocket ?? denoWebSocket,
  };
}
