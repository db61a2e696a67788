/**
 * A client's inbox as a Durable Object (one per client): the messages its
 * groups' objects delivered to it (fan-out on write), in delivery order,
 * under cursors that only grow; the groups it is a member of; and the
 * wake-ups of its long polls and streams (a call that answers when the
 * inbox changes, or at its timeout).
 *
 * The client's WebSocket streams end here too (`/stream`, reached through
 * `DurableObjectStore.openStream`): the object sends what it holds after
 * the stream's cursor, then each delivery as it comes, and takes the
 * stream's acknowledgements.
 *
 * Deliveries are idempotent (keyed by group and position): a group object
 * that retries a delivery after a failure does not deliver twice.
 *
 * @module
 */

import { ApiError } from "../errors.ts";
import { frame } from "../routes/inbox.ts";
import type { InboxMessage } from "../store/store.ts";
import { call, type Methods, serveRpc } from "./rpc.ts";
import {
  type DurableState,
  type DurableStorage,
  webSocketPair,
  type WorkerEnv,
  type WorkerSocket,
} from "./types.ts";

/** An open stream: its socket, where it is, what it sent unacknowledged. */
interface Stream {
  readonly socket: WorkerSocket;
  cursor: string | undefined;
  readonly sent: string[];
  timer?: ReturnType<typeof setInterval>;
}

/** One delivery from a group object. */
export interface Delivery {
  /** `<groupId>/<position>`: the same delivery twice is stored once. */
  readonly key: string;
  /** The message, without its cursor (the inbox gives it one). */
  readonly message: Omit<InboxMessage, "cursor">;
}

/** A membership change a group object tells the inbox about. */
export interface Membership {
  /** The group. */
  readonly groupId: string;
  /** Whether the client is a member now. */
  readonly member: boolean;
}

const cursorOf = (n: number) => n.toString(16).padStart(16, "0");

/** The inbox object. */
export class InboxObject {
  readonly #storage: DurableStorage;
  readonly #env: WorkerEnv;
  #streams = new Set<Stream>();
  /** Prefix of the group objects' names (see `DurableObjectStore`). */
  #prefix = "";
  /** The client (its id is only a hash of the name): set by streams. */
  #client = "";
  /** Messages in cursor order. */
  #messages: InboxMessage[] = [];
  #keys = new Set<string>();
  #counter = 0;
  #groups = new Set<string>();
  /** Changes since this instance started; waiters from another get woken. */
  #version = 0;
  readonly #boot = crypto.randomUUID();
  #waiters = new Set<() => void>();

  /** Loads the state before any request. */
  constructor(state: DurableState, env: WorkerEnv) {
    this.#storage = state.storage;
    this.#env = env;
    state.blockConcurrencyWhile(async () => {
      const stored = await this.#storage.list<
        { key: string; message: InboxMessage }
      >({ prefix: "m/" });
      for (const { key, message } of stored.values()) {
        this.#messages.push(message);
        this.#keys.add(key);
      }
      this.#counter = await this.#storage.get<number>("counter") ?? 0;
      this.#groups = new Set(await this.#storage.get<string[]>("groups") ?? []);
    });
  }

  /** Serves calls (rpc.ts), and streams at `/stream`. */
  fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/stream") return Promise.resolve(this.#open(url));
    return serveRpc(this.#methods, request);
  }

  /** Opens a stream: `?client&after&protocol&ping&max&prefix` (the store's). */
  #open(url: URL): Response {
    const q = url.searchParams;
    const max = Number(q.get("max"));
    if (this.#streams.size >= max) {
      const e = new ApiError(
        429,
        "too_many_streams",
        `at most ${max} open streams per client`,
        { retryAfter: 1 },
      );
      return Response.json(e.toJSON(), {
        status: 429,
        headers: { "retry-after": "1" },
      });
    }
    this.#prefix = q.get("prefix") ?? "";
    this.#client = q.get("client") ?? "";
    const [client, socket] = webSocketPair();
    socket.accept();
    const st: Stream = {
      socket,
      cursor: q.get("after") || undefined,
      sent: [],
    };
    this.#streams.add(st);
    const end = () => {
      clearInterval(st.timer);
      this.#streams.delete(st);
      try {
        socket.close(); // answer the client's close (else it stays open)
      } catch {
        // closed already
      }
    };
    socket.addEventListener("close", end);
    socket.addEventListener("error", end);
    socket.addEventListener("message", (e) => this.#acked(st, e.data));
    st.timer = setInterval(
      () => this.#send(st, JSON.stringify({ type: "ping" })),
      Math.max(1000, Number(q.get("ping"))),
    );
    this.#push(st);
    const protocol = q.get("protocol");
    return new Response(null, {
      status: 101,
      headers: protocol ? { "sec-websocket-protocol": protocol } : {},
      webSocket: client,
    } as ResponseInit);
  }

  #send(st: Stream, data: string): void {
    try {
      st.socket.send(data);
    } catch {
      st.socket.close(1011);
    }
  }

  /** Sends `st` what it has not had yet. */
  #push(st: Stream): void {
    const after = st.cursor;
    const from = after === undefined
      ? 0
      : this.#messages.findIndex((m) => m.cursor > after);
    if (from < 0) return;
    for (const m of this.#messages.slice(from)) {
      this.#send(st, frame(m));
      st.sent.push(m.cursor);
      st.cursor = m.cursor;
      if (m.kind === "welcome") {
        // A fetched Welcome marks its client joined (server/joined.ts).
        const groups = this.#env.GROUPS;
        const group = groups.get(groups.idFromName(this.#prefix + m.groupId));
        call(group, "markJoined", this.#client).catch(() => {});
      }
    }
  }

  /** A frame from the client: an acknowledgement, or a bad frame. */
  #acked(st: Stream, data: unknown): void {
    try {
      const m = JSON.parse(String(data)) as { type?: string; cursor?: string };
      const cursor = m.type === "ack" && typeof m.cursor === "string"
        ? m.cursor
        : undefined;
      if (!cursor) return;
      let n = 0;
      while (n < st.sent.length && st.sent[n] <= cursor) n++;
      const done = new Set(st.sent.splice(0, n));
      this.#drop(this.#messages.filter((m) => done.has(m.cursor)));
    } catch {
      st.socket.close(1003, "bad frame");
    }
  }

  #changed(): void {
    this.#version++;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const w of waiters) w();
  }

  #methods: Methods = {
    deliver: (deliveries: Delivery[], memberships: Membership[]): null => {
      const writes: Record<string, unknown> = {};
      for (const m of memberships) {
        if (m.member) this.#groups.add(m.groupId);
        else this.#groups.delete(m.groupId);
      }
      if (memberships.length > 0) writes.groups = [...this.#groups];
      let added = 0;
      for (const d of deliveries) {
        if (this.#keys.has(d.key)) continue;
        const cursor = cursorOf(++this.#counter);
        const message = { ...d.message, cursor };
        this.#messages.push(message);
        this.#keys.add(d.key);
        writes[`m/${cursor}`] = { key: d.key, message };
        added++;
      }
      if (added > 0) writes.counter = this.#counter;
      if (Object.keys(writes).length > 0) this.#storage.put(writes);
      if (added > 0) {
        this.#changed();
        for (const st of this.#streams) this.#push(st);
      }
      return null;
    },
    fetch: (after: string | null, limit: number): InboxMessage[] => {
      const from = after === null
        ? 0
        : this.#messages.findIndex((m) => m.cursor > after);
      return from < 0 ? [] : this.#messages.slice(from, from + limit);
    },
    ack: (cursor: string): number => {
      const n = this.#messages.findIndex((m) => m.cursor > cursor);
      const done = n < 0 ? this.#messages : this.#messages.slice(0, n);
      this.#drop(done);
      return done.length;
    },
    forget: (cursors: string[]): null => {
      const set = new Set(cursors);
      this.#drop(this.#messages.filter((m) => set.has(m.cursor)));
      return null;
    },
    groups: (): string[] => [...this.#groups],
    /** The current version, for {@link InboxObject.waitChange}. */
    version: (): string => `${this.#boot}/${this.#version}`,
    /**
     * Answers the current version as soon as it differs from `seen`, or
     * `seen` at the timeout.
     */
    waitChange: async (seen: string, timeoutMs: number): Promise<string> => {
      const now = () => `${this.#boot}/${this.#version}`;
      if (now() !== seen) return now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.add(resolve);
        timer = setTimeout(() => {
          this.#waiters.delete(resolve);
          resolve();
        }, Math.max(0, timeoutMs));
      });
      clearTimeout(timer);
      return now();
    },
  };

  #drop(done: InboxMessage[]): void {
    if (done.length === 0) return;
    const gone = new Set(done.map((m) => m.cursor));
    this.#messages = this.#messages.filter((m) => !gone.has(m.cursor));
    // Their dedup keys stay known in memory. After a restart only the
    // unacknowledged ones are: a group object retries only deliveries it
    // did not see complete, which were never acknowledged.
    this.#storage.delete(done.map((m) => `m/${m.cursor}`));
  }
}
