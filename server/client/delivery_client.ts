/**
 * `DeliveryClient`: connects an {@link MLS} instance to the delivery
 * service. It registers (proving possession of its signature key over a
 * challenge), keeps key packages published (`key_packages.ts`), creates
 * groups, sends commits as bundles (commit, Welcome, GroupInfo of the new
 * epoch), and processes the inbox in order, feeding every message to the
 * group's `receive()` and every Welcome to `groupJoin()`.
 *
 * Commits follow the service's order: a commit stays pending until it comes
 * back through the inbox. When the service answers `409 epoch_conflict`
 * (another member committed first), the client clears the pending commit,
 * processes what is new (the winning commit), and tries again on the new
 * epoch.
 *
 * @module
 */

import type {
  CommitOutput,
  CredentialInfo,
  GroupExtensions,
  GroupView,
  MLS,
} from "../../mod.ts";
import {
  DeliveryError,
  DeliveryHttp,
  type InboxEntry,
  inboxEntry,
} from "./http.ts";
import { type KeyPackageCount, KeyPackagePool } from "./key_packages.ts";
import { prove } from "./proof.ts";
import { recoverFromCommit } from "./recovery.ts";
import {
  applyInOrder,
  type ResolvedRetryPolicy,
  resolveRetryPolicy,
  retrying,
} from "./retry.ts";
import type {
  DeliveryClientOptions,
  DeliveryEvent,
  Listener,
  RecoverOptions,
  RegisterOptions,
} from "./types.ts";

export type {
  DeliveryClientOptions,
  DeliveryEvent,
  KeyPackagePolicy,
  Listener,
  RecoverOptions,
  RegisterOptions,
} from "./types.ts";
export type { KeyPackageCount } from "./key_packages.ts";
export type { RetryPolicy } from "./retry.ts";

const utf8 = new TextEncoder();

function concat(parts: (Uint8Array | undefined)[]): Uint8Array {
  const list = parts.filter((p): p is Uint8Array => p !== undefined);
  const out = new Uint8Array(list.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of list) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The commit bundle the service expects: commit, Welcome?, GroupInfo. */
export function commitBundle(out: CommitOutput): Uint8Array {
  return concat([out.commit, out.welcome, out.groupInfo]);
}

/** Connects an `MLS` instance to a delivery service. */
export class DeliveryClient {
  /** The HTTP API. */
  readonly http: DeliveryHttp;
  /** The MLS instance. */
  readonly mls: MLS;
  /** This client's id (hex signature key). */
  readonly clientId: string;
  /** The credential for new groups and external joins. */
  readonly credential: CredentialInfo;
  #onEvent: (event: DeliveryEvent) => void;
  #maxRetries: number;
  #identity: DeliveryClientOptions["identity"];
  #pool: KeyPackagePool;
  /** Processed up to here (applied, or skipped for good). */
  #cursor: string | undefined;
  /** The cursor in storage (may lag {@link #cursor} after a failed save). */
  #saved: string | undefined;
  /** The cursor last acknowledged to the service. */
  #acked: string | undefined;
  #cursorLoaded = false;
  #retry: ResolvedRetryPolicy;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(o: DeliveryClientOptions) {
    this.http = new DeliveryHttp(o.url, o.token);
    this.mls = o.mls;
    this.clientId = typeof o.identity === "string"
      ? o.identity
      : o.identity.clientId;
    this.credential = o.credential;
    this.#onEvent = o.onEvent ?? (() => {});
    this.#maxRetries = o.maxRetries ?? 8;
    this.#retry = resolveRetryPolicy(o.retry);
    this.#identity = o.identity;
    this.#pool = new KeyPackagePool(
      this.http,
      this.mls,
      this.clientId,
      this.credential,
      {
        target: o.keyPackages ?? 3,
        lastResort: o.lastResort ?? true,
        checkSeconds: o.keyPackageCheckSeconds ?? 300,
        capabilities: o.capabilities,
      },
    );
  }

  /** A client for an identity that is registered already. */
  static connect(options: DeliveryClientOptions): DeliveryClient {
    return new DeliveryClient(options);
  }

  /**
   * Registers a client (a new identity unless one is given): gets a
   * challenge, proves possession of the identity's signature key with a
   * key package and a signature over the challenge and the service's
   * origin, then publishes `keyPackages` regular key packages and a
   * last-resort one. Keep `token` to {@link connect} again later, or
   * {@link recover} a new one.
   */
  static async register(
    url: string,
    mls: MLS,
    options: RegisterOptions = {},
  ): Promise<DeliveryClient> {
    resolveRetryPolicy(options.retry); // checked before any request
    const identity = options.identity ?? await mls.generateIdentity();
    const credential = options.credential ??
      await mls.generateCredential(options.name ?? identity);
    const http = new DeliveryHttp(url);
    const { keyPackage, proof } = await prove(
      http,
      mls,
      identity,
      credential,
      "register",
      options.capabilities,
    );
    const { token } = await http.register(keyPackage, proof);
    const client = new DeliveryClient({
      ...options,
      url,
      mls,
      identity,
      credential,
      token,
    });
    const { target, lastResort } = client.#pool.settings;
    await client.#pool.publish(target, lastResort ? 1 : 0);
    client.#pool.published();
    return client;
  }

  /**
   * A client with a new bearer token, obtained by proving possession of
   * the identity's signature key (its private key is in `mls`'s storage):
   * for when the token is lost. The previous token stops working.
   *
   * @example After losing the token
   * ```ts ignore
   * const client = await DeliveryClient.recover({
   *   url, mls, identity: clientId, credential,
   * });
   * localStorage.setItem("token", client.token);
   * ```
   */
  static async recover(options: RecoverOptions): Promise<DeliveryClient> {
    resolveRetryPolicy(options.retry); // checked before any request
    const http = new DeliveryHttp(options.url);
    const { keyPackage, proof } = await prove(
      http,
      options.mls,
      options.identity,
      options.credential,
      "token",
      options.capabilities,
    );
    const { token } = await http.requestToken(keyPackage, proof);
    return new DeliveryClient({ ...options, token });
  }

  /**
   * Replaces this client's bearer token by a new one (by the same proof as
   * {@link recover}); the old token stops working at once. Resolves with
   * the new token, which `token` returns from now on.
   *
   * @example Rotate, then keep the new token
   * ```ts ignore
   * const token = await client.rotateToken();
   * localStorage.setItem("token", token);
   * ```
   */
  async rotateToken(): Promise<string> {
    const fresh = new DeliveryHttp(this.http.url);
    const { keyPackage, proof } = await prove(
      fresh,
      this.mls,
      this.#identity,
      this.credential,
      "token",
      this.#pool.settings.capabilities,
    );
    const { token } = await fresh.requestToken(keyPackage, proof);
    this.http.token = token;
    return token;
  }

  /** The bearer token. */
  get token(): string {
    return this.http.token!;
  }

  /** Sets the event callback. */
  set onEvent(f: (event: DeliveryEvent) => void) {
    this.#onEvent = f;
  }

  // Inbox processing and commits run one at a time, in call order.
  #exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f);
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Generates and uploads `count` key packages (last resort: kept on
   * claim), in as many requests as the service's per-request limits need.
   */
  async publishKeyPackages(
    count: number,
    options: { lastResort?: boolean } = {},
  ): Promise<void> {
    if (count <= 0) return;
    await (options.lastResort
      ? this.#pool.publish(0, count)
      : this.#pool.publish(count));
  }

  /**
   * How many valid key packages of this client the directory holds
   * (`GET /v1/clients/me`): regular ones, which each add consumes, and
   * last-resort ones.
   *
   * @example
   * ```ts ignore
   * const { regular, lastResort } = await client.keyPackageCount();
   * ```
   */
  keyPackageCount(): Promise<KeyPackageCount> {
    return this.#pool.count();
  }

  /**
   * Uploads regular key packages until the directory holds at least `min`
   * (default: the `keyPackages` setting), and a last-resort one if it
   * holds none (unless `lastResort: false`). Resolves with the count.
   * The client also does this by itself (see `KeyPackagePolicy`).
   *
   * @example
   * ```ts ignore
   * await client.topUpKeyPackages(10); // before a burst of invitations
   * ```
   */
  topUpKeyPackages(min?: number): Promise<KeyPackageCount> {
    return this.#pool.topUp(min);
  }

  /** This client's view of a group, or `null`. */
  group(groupId: string): Promise<GroupView | null> {
    return this.mls.groupGet(groupId, this.clientId);
  }

  async #mustGroup(groupId: string): Promise<GroupView> {
    const g = await this.group(groupId);
    if (!g) throw new DeliveryError(404, "unknown_group", "not in this group");
    return g;
  }

  /**
   * Creates a group and registers it with the service. `extensions` are
   * the group context extensions (e.g. an application's group name, RFC
   * 9420 §12.1.7); the creator's leaf advertises the client's
   * `capabilities` (by default, the application extension types given).
   *
   * @example A group with a name every member agrees on
   * ```ts ignore
   * const g = await client.createGroup({
   *   extensions: {
   *     application: [{ extensionType: 0xff00, extensionData: utf8("Team") }],
   *   },
   * });
   * ```
   */
  async createGroup(
    options: {
      externalJoins?: boolean;
      groupId?: string;
      extensions?: GroupExtensions;
    } = {},
  ): Promise<GroupView> {
    const capabilities = this.#pool.settings.capabilities;
    const g = await this.mls.groupCreate(this.clientId, this.credential, {
      groupId: options.groupId,
      extensions: options.extensions,
      ...capabilities ? { capabilities } : {},
    });
    try {
      await this.http.createGroup(
        await g.groupInfo({ ratchetTree: true }),
        options.externalJoins ?? false,
      );
    } catch (e) {
      await g.deleteState();
      throw e;
    }
    return g;
  }

  /** Adds clients (claiming one key package of each) in one commit. */
  async add(groupId: string, clientIds: string[]): Promise<GroupView> {
    const kps: Uint8Array[] = [];
    for (const id of clientIds) kps.push(await this.http.claimKeyPackage(id));
    return await this.commit(groupId, (g) => g.add(kps));
  }

  /** Removes members in one commit. */
  remove(groupId: string, clientIds: string[]): Promise<GroupView> {
    return this.commit(groupId, (g) => g.remove(clientIds));
  }

  /** A self-update commit (fresh keys: post-compromise security). */
  update(groupId: string): Promise<GroupView> {
    return this.commit(groupId, (g) => g.update());
  }

  /**
   * Makes a commit with `make` and sends it; on `epoch_conflict` clears it,
   * processes the inbox and makes it again on the new epoch. Resolves once
   * the commit came back and is applied.
   */
  commit(
    groupId: string,
    make: (group: GroupView) => Promise<CommitOutput>,
  ): Promise<GroupView> {
    return this.#exclusive(async () => {
      for (let attempt = 0;; attempt++) {
        await this.#sync();
        const g = await this.#mustGroup(groupId);
        // A commit left pending (e.g. an automatic one whose post failed).
        if (g.hasPendingCommit) await g.clearPendingCommit();
        const out = await make(g);
        try {
          await this.http.post(groupId, commitBundle(out));
        } catch (e) {
          await g.clearPendingCommit();
          const retry = e instanceof DeliveryError &&
            e.code === "epoch_conflict" && attempt < this.#maxRetries;
          if (!retry) throw e;
          await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
          continue;
        }
        await this.#sync(); // our commit comes back: now applied
        await this.#exportsAfterCommit(g);
        return g;
      }
    });
  }

  /**
   * The committer's rule of the key export service: after its commit, a
   * group that authorizes consumers gets this epoch's sealed exports. A
   * failure does not undo the commit: it is an `exports_failed` event.
   */
  async #exportsAfterCommit(g: GroupView): Promise<void> {
    if (!g.details().extensions.exportConsumers?.length) return;
    try {
      await this.http.postExports(g.groupId, await g.sealExports());
    } catch (error) {
      this.#onEvent({ type: "exports_failed", groupId: g.groupId, error });
    }
  }

  /**
   * Seals and posts this epoch's exports of `groupId` for the key export
   * service's consumers (`GroupView.sealExports`); the service keeps the
   * first it accepts of each, so any member may post again.
   *
   * @example
   * ```ts ignore
   * await client.postExports(groupId);
   * ```
   */
  postExports(
    groupId: string,
  ): Promise<{ epoch: number; accepted: number; stored: number }> {
    return this.#exclusive(async () => {
      const g = await this.#mustGroup(groupId);
      return await this.http.postExports(groupId, await g.sealExports());
    });
  }

  /** Encrypts and sends an application message. */
  async send(
    groupId: string,
    message: string | Uint8Array,
  ): Promise<{ epoch: number; seq: number }> {
    const g = await this.#mustGroup(groupId);
    const bytes = await g.send(
      typeof message === "string" ? utf8.encode(message) : message,
    );
    return await this.http.post(groupId, bytes);
  }

  /**
   * Joins a group by external commit from its published GroupInfo; retries
   * with a fresh GroupInfo when another commit got in first.
   */
  joinExternal(
    groupId: string,
    options: { resync?: boolean } = {},
  ): Promise<GroupView> {
    return this.#exclusive(async () => {
      for (let attempt = 0;; attempt++) {
        const info = await this.http.groupInfo(groupId);
        const { group, commit } = await this.mls.groupJoinExternal(
          this.clientId,
          this.credential,
          info,
          { resync: options.resync },
        );
        const gi = await group.groupInfo({ ratchetTree: true });
        try {
          await this.http.post(groupId, concat([commit, gi]));
        } catch (e) {
          await group.deleteState();
          const retry = e instanceof DeliveryError &&
            e.code === "epoch_conflict" && attempt < this.#maxRetries;
          if (!retry) throw e;
          continue;
        }
        // An external commit is a commit: its committer seals the exports.
        await this.#exportsAfterCommit(group);
        return group;
      }
    });
  }

  /**
   * Fetches and processes everything in the inbox (with `wait`, long-polls
   * up to that many seconds when it is empty). Returns how many messages
   * were processed.
   */
  sync(options: { wait?: number } = {}): Promise<number> {
    return this.#exclusive(() => this.#sync(options.wait));
  }

  async #loadCursor(): Promise<void> {
    if (this.#cursorLoaded) return;
    const v = await this.mls.storage.get(`delivery/cursor/${this.clientId}`);
    if (v instanceof Uint8Array) {
      this.#cursor = this.#saved = new TextDecoder().decode(v);
    }
    this.#cursorLoaded = true;
  }

  /**
   * Moves the cursor past a message processed for good, and stores it
   * (retried, see `retry.ts`; if that fails, a later save catches up and
   * nothing beyond the stored cursor is acknowledged).
   */
  async #saveCursor(cursor: string): Promise<void> {
    this.#cursor = cursor;
    await retrying(
      () =>
        this.mls.storage.batch([{
          key: `delivery/cursor/${this.clientId}`,
          value: utf8.encode(cursor),
        }]),
      this.#retry,
    );
    if (this.#cursor === cursor) this.#saved = cursor;
  }

  /** Acknowledges everything up to the stored cursor. */
  async #ack(): Promise<void> {
    const cursor = this.#saved;
    if (cursor === undefined || cursor === this.#acked) return;
    await retrying(() => this.http.ack(cursor), this.#retry);
    this.#acked = cursor;
  }

  async #sync(wait?: number): Promise<number> {
    await this.#loadCursor();
    if (this.#cursor !== undefined && this.#cursor !== this.#saved) {
      await this.#saveCursor(this.#cursor); // a save that failed earlier
    }
    let n = 0;
    for (;;) {
      const page = await retrying(
        () =>
          this.http.inbox(this.#cursor, {
            limit: 100,
            wait: n === 0 ? wait : undefined,
          }),
        this.#retry,
      );
      // Stops (throws) at a message that failed transiently.
      for (const m of page.messages) await this.#process(m);
      n += page.messages.length;
      await this.#ack();
      if (page.messages.length < 100) break;
    }
    await this.#pool.maybeTopUp();
    return n;
  }

  /**
   * Applies one message, then moves the cursor past it. A transient
   * failure is retried; beyond the retry policy it is reported (`error`,
   * `skipped: false`) and thrown, with the cursor left before the message.
   * A permanent one is reported (`skipped: true`) and the message skipped.
   */
  async #process(m: InboxEntry): Promise<void> {
    await this.#loadCursor();
    if (this.#cursor !== undefined && m.cursor <= this.#cursor) return;
    await applyInOrder(
      () => m.kind === "welcome" ? this.#welcome(m) : this.#receive(m),
      this.#retry,
      (error, skipped) =>
        this.#onEvent({
          type: "error",
          groupId: m.groupId,
          kind: m.kind,
          error,
          skipped,
        }),
    );
    await this.#saveCursor(m.cursor);
  }

  async #welcome(m: InboxEntry): Promise<void> {
    const old = await this.group(m.groupId);
    // Re-added after a removal: the old state is of no use.
    if (old && old.status !== "active") await old.deleteState();
    const group = await this.mls.groupJoin(this.clientId, m.bytes);
    this.#pool.welcomed();
    this.#onEvent({ type: "joined", groupId: m.groupId, group });
  }

  async #receive(m: InboxEntry): Promise<void> {
    const group = await this.#mustGroup(m.groupId);
    const received = await group.receive(m.bytes).catch(async (e) => {
      const emit = (ev: DeliveryEvent) => this.#onEvent(ev);
      if (await recoverFromCommit(this, emit, group, m, e, this.#maxRetries)) {
        return undefined; // rejoined by resync, or reported needs_rejoin
      }
      throw e;
    });
    if (!received) return;
    this.#onEvent({ type: "received", groupId: m.groupId, group, received });
    if (received.type === "proposal" && received.commitOutput) {
      // The view committed the proposal: send that commit. If another
      // member's commit wins, it arrives next and voids ours.
      try {
        await this.http.post(m.groupId, commitBundle(received.commitOutput));
      } catch (e) {
        await group.clearPendingCommit();
        if (!(e instanceof DeliveryError && e.code === "epoch_conflict")) {
          throw e;
        }
      }
    }
  }

  /**
   * Processes messages as the service pushes them (a WebSocket), and
   * reconnects after a drop. Commits and `sync()` keep working meanwhile.
   * At a message that keeps failing for a transient reason (see
   * `RetryPolicy`), the stream is dropped and reopened from that message.
   */
  listen(): Listener {
    let closed = false;
    let socket: WebSocket | undefined;
    let delay = 100;
    const reconnect = () => {
      if (closed) return;
      setTimeout(() => open(), delay);
      delay = Math.min(delay * 2, 5000);
    };
    const open = async () => {
      if (closed) return;
      try {
        await this.#exclusive(() => this.#loadCursor());
      } catch {
        return reconnect();
      }
      // Set once a message failed: what this stream sends after it is
      // dropped, and the next stream starts again from it.
      let stalled = false;
      const ws = socket = this.http.stream(this.#cursor);
      ws.onopen = () => delay = 100;
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data));
        if (m.type === "ping" || typeof m.cursor !== "string") return;
        this.#exclusive(async () => {
          if (stalled) return;
          try {
            await this.#process(inboxEntry(m));
          } catch {
            stalled = true;
            ws.close();
            return;
          }
          if (ws.readyState === WebSocket.OPEN && this.#saved !== undefined) {
            ws.send(JSON.stringify({ type: "ack", cursor: this.#saved }));
          }
          await this.#pool.maybeTopUp();
        }).catch(() => {}); // a failed top-up is tried again later
      };
      ws.onclose = reconnect;
      ws.onerror = () => {};
    };
    open();
    return {
      close: () => {
        closed = true;
        // After the message in hand: its acknowledgement goes out first,
        // so that a message processed here is not delivered again.
        this.#exclusive(() => Promise.resolve(socket?.close())).catch(
          () => {},
        );
      },
    };
  }
}
