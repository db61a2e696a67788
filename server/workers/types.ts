/**
 * What the Cloudflare Workers code uses of the Workers runtime's API,
 * declared here so that Deno type-checks it without the platform's types
 * (`@cloudflare/workers-types`): Durable Object state, storage, stubs and
 * namespaces, and `WebSocketPair`.
 *
 * @module
 */

/** A Durable Object's transactional storage (the key-value API). */
export interface DurableStorage {
  /** One value, or `undefined`. */
  get<T>(key: string): Promise<T | undefined>;
  /** The values under a key prefix, in key order. */
  list<T>(options?: { prefix?: string }): Promise<Map<string, T>>;
  /** Writes values (atomically, all or none). */
  put(entries: Record<string, unknown>): Promise<void>;
  /** Deletes keys; resolves to how many existed. */
  delete(keys: string[]): Promise<number>;
  /** Calls the object's `alarm()` at `scheduledTime` (ms since the epoch). */
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The `state` a Durable Object's constructor gets. */
export interface DurableState {
  /** Its storage. */
  readonly storage: DurableStorage;
  /** Holds other events until `f` settles (used to load state). */
  blockConcurrencyWhile<T>(f: () => Promise<T>): Promise<T>;
}

/** A Durable Object stub: `fetch` reaches the object's `fetch`. */
export interface DurableStub {
  /** Sends a request to the object. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

/** A Durable Object namespace binding. */
export interface DurableNamespace {
  /** The id of the object named `name`. */
  idFromName(name: string): unknown;
  /** The stub of the object with `id`. */
  get(id: unknown): DurableStub;
}

/** The bindings of the worker (see the README's deploy guide). */
export interface WorkerEnv {
  /** One object per group: order, log, fan-out. */
  GROUPS: DurableNamespace;
  /** One object per client: its inbox and group list. */
  INBOXES: DurableNamespace;
  /** One object: clients, tokens, key packages, challenges. */
  DIRECTORY: DurableNamespace;
  /** The public origin registration proofs must name (optional). */
  WEBMLS_ORIGIN?: string;
}

/** The server end of a `WebSocketPair`. */
export interface WorkerSocket {
  readonly readyState: number;
  accept(): void;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: "message" | "close" | "error",
    listener: (e: { data?: unknown }) => void,
  ): void;
}

/** Workers' `WebSocketPair` constructor, where it exists. */
export function webSocketPair(): [unknown, WorkerSocket] {
  const Pair = (globalThis as unknown as {
    WebSocketPair: new () => Record<0 | 1, unknown>;
  }).WebSocketPair;
  const pair = new Pair();
  return [pair[0], pair[1] as WorkerSocket];
}
