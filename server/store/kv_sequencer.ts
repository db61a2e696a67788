/**
 * Gives each delivered inbox entry its position in the client's log.
 *
 * Deno KV orders keys, not commits, and cannot put a commit's versionstamp
 * into a key. Accepting a message therefore writes each recipient's entry
 * under `inbox, client, gid, seq, id` (no order across groups), and this
 * module moves those entries into `log, client, pos` with consecutive
 * positions in versionstamp order, so that readers range-read the log from
 * their cursor. Why that order holds: one run lists every entry committed
 * before its snapshot and appends them sorted by versionstamp; the run
 * commits only if the client's `tail` is unchanged (an atomic check), so
 * runs on one log are serialized; an entry a later run finds was committed
 * after the earlier run's snapshot, so its versionstamp is larger than any
 * already placed. Entries are never lost: a run that fails its check is
 * re-read and retried, and an entry left behind (a crash between accepting
 * and sequencing) is moved by the next run, which every reader starts when
 * its log runs short.
 *
 * The accepting process runs the sequencer right after the commit (see
 * {@link Sequencer}), so the unsequenced part of an inbox holds only what
 * is in flight, and a fetch costs the page, not the inbox.
 *
 * @module
 */

import type { AcceptContext } from "./kv_accept.ts";
import type { InboxValue, LogValue } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";

/** Deno KV's limits of one atomic operation: checks, mutations, bytes. */
const MAX_CHECKS = 100;
const MAX_MUTATIONS = 1000;
/** Below the 800 KiB limit, leaving room for keys and encoding. */
const MAX_BYTES = 600 * 1024;

interface Move {
  key: Deno.KvKey;
  versionstamp: string;
  value: InboxValue;
  /** Rough encoded size. */
  bytes: number;
}

interface Plan {
  client: string;
  /** The tail as read: the check that serializes runs. */
  tail: { key: Deno.KvKey; versionstamp: string | null; value: number };
  moves: Move[];
}

function compareKeys(a: Deno.KvKey, b: Deno.KvKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return a.length - b.length;
}

/** An operation being filled, with its budget. */
class Batch {
  op: Deno.AtomicOperation;
  checks = 0;
  mutations = 0;
  bytes = 0;

  constructor(kv: Deno.Kv) {
    this.op = kv.atomic();
  }

  fits(checks: number, mutations: number, bytes: number): boolean {
    return this.checks + checks <= MAX_CHECKS &&
      this.mutations + mutations <= MAX_MUTATIONS &&
      this.bytes + bytes <= MAX_BYTES;
  }

  add(checks: number, mutations: number, bytes: number): void {
    this.checks += checks;
    this.mutations += mutations;
    this.bytes += bytes;
  }
}

/** Larger reads are not one snapshot (Deno KV reads at most 1000 at once). */
const SNAPSHOT = 1000;

function byVersionstamp(a: Move, b: Move): number {
  return a.versionstamp < b.versionstamp
    ? -1
    : a.versionstamp > b.versionstamp
    ? 1
    : compareKeys(a.key, b.key);
}

function move(e: Deno.KvEntry<InboxValue>): Move {
  return {
    key: e.key,
    versionstamp: e.versionstamp,
    value: e.value,
    bytes: (e.value.inline?.length ?? 0) + 300,
  };
}

/**
 * A client's unsequenced entries in versionstamp order, read in one
 * snapshot; `null` when there are too many for one.
 */
async function listPending(
  ctx: AcceptContext,
  client: string,
): Promise<Move[] | null> {
  const moves: Move[] = [];
  for await (
    const e of ctx.kv.list<InboxValue>({ prefix: ctx.keys.inbox(client) }, {
      limit: SNAPSHOT,
      batchSize: SNAPSHOT,
    })
  ) moves.push(move(e));
  return moves.length < SNAPSHOT ? moves.sort(byVersionstamp) : null;
}

/**
 * Every unsequenced entry committed before this call, when they are too
 * many for one snapshot (a backlog left by failed runs). A scan in
 * several reads can see an entry committed during the scan while missing
 * an earlier one, so the scan keeps only entries older than a write it
 * makes first: those were all visible to every read.
 */
async function scanPending(
  ctx: AcceptContext,
  client: string,
): Promise<Move[]> {
  const res = await unlocked(() =>
    ctx.kv.atomic().sum(ctx.keys.head(client), 0n).commit()
  );
  if (!res.ok) throw new Error("unchecked write refused");
  const horizon = res.versionstamp;
  const moves: Move[] = [];
  for await (
    const e of ctx.kv.list<InboxValue>({ prefix: ctx.keys.inbox(client) })
  ) {
    if (e.versionstamp < horizon) moves.push(move(e));
  }
  return moves.sort(byVersionstamp);
}

/** The tails of these clients' logs, ten per read. */
async function readTails(
  ctx: AcceptContext,
  clients: readonly string[],
): Promise<Map<string, Plan["tail"]>> {
  const parts: string[][] = [];
  for (let i = 0; i < clients.length; i += 10) {
    parts.push(clients.slice(i, i + 10));
  }
  const got = await Promise.all(
    parts.map((part) =>
      ctx.kv.getMany<number[]>(part.map((c) => ctx.keys.tail(c)))
    ),
  );
  const out = new Map<string, Plan["tail"]>();
  parts.forEach((part, i) =>
    part.forEach((c, j) => {
      const { key, versionstamp, value } = got[i][j];
      out.set(c, { key, versionstamp, value: value ?? 0 });
    })
  );
  return out;
}

/**
 * Reads what to move for each client. The tail is read before the list
 * it guards (or found older than every listed entry): a run that moved
 * any of the listed entries wrote the tail after them, so the commit's
 * check on the tail then fails instead of moving them twice. One client
 * (a reader, whose inbox is mostly sequenced already) is looked at first
 * and its tail read only if something waits; many (the accepting process)
 * get their tails read first.
 */
async function readPlans(
  ctx: AcceptContext,
  clients: readonly string[],
): Promise<Plan[]> {
  const seen = clients.length === 1
    ? new Map([[clients[0], await listPending(ctx, clients[0])]])
    : undefined;
  const busy = seen
    ? clients.filter((c) => seen.get(c)?.length !== 0)
    : clients;
  const tails = await readTails(ctx, busy);
  const plans = await Promise.all(
    busy.map(async (client): Promise<Plan | null> => {
      const tail = tails.get(client)!;
      const first = seen?.get(client);
      const fresh = first &&
        (tail.versionstamp === null ||
          tail.versionstamp < first[0].versionstamp);
      const moves = fresh
        ? first
        : await listPending(ctx, client) ?? await scanPending(ctx, client);
      return moves.length > 0 ? { client, tail, moves } : null;
    }),
  );
  return plans.filter((p) => p !== null);
}

/** Appends `moves` after position `pos` in `client`'s log; returns the new tail. */
function addMoves(
  ctx: AcceptContext,
  op: Deno.AtomicOperation,
  client: string,
  moves: readonly Move[],
  pos: number,
): number {
  const now = Date.now();
  for (const m of moves) {
    op.delete(m.key);
    const left = m.value.at === undefined
      ? ctx.retentionMs
      : m.value.at + ctx.retentionMs - now;
    if (left <= 0) continue; // expired while waiting: dropped
    const [gid, seq, id] = m.key.slice(-3) as [string, number, string];
    const value: LogValue = { ...m.value, gid, seq, id };
    op.set(ctx.keys.log(client, ++pos), value, { expireIn: left });
  }
  op.set(ctx.keys.tail(client), pos);
  return pos;
}

/** The cost of appending `moves` of one client: its check and mutations. */
function cost(moves: readonly Move[]): [number, number, number] {
  return [1, 2 * moves.length + 1, moves.reduce((n, m) => n + m.bytes, 0)];
}

/**
 * Commits a plan too large for one operation in several, each checked
 * against the tail the previous one wrote. Returns how many entries it
 * moved and whether it finished (false: a conflict stopped it).
 */
async function commitLarge(
  ctx: AcceptContext,
  plan: Plan,
): Promise<{ moved: number; done: boolean }> {
  let versionstamp = plan.tail.versionstamp;
  let pos = plan.tail.value;
  let i = 0;
  while (i < plan.moves.length) {
    const b = new Batch(ctx.kv);
    b.add(...cost([plan.moves[i]])); // one oversized entry still goes alone
    let j = i + 1;
    while (j < plan.moves.length && b.fits(0, 2, plan.moves[j].bytes)) {
      b.add(0, 2, plan.moves[j].bytes);
      j++;
    }
    b.op.check({ key: plan.tail.key, versionstamp });
    pos = addMoves(ctx, b.op, plan.client, plan.moves.slice(i, j), pos);
    const res = await unlocked(() => b.op.commit());
    if (!res.ok) return { moved: i, done: false };
    versionstamp = res.versionstamp;
    i = j;
  }
  return { moved: i, done: true };
}

/** One pass over `clients`; returns the clients that met a conflict. */
async function pass(
  ctx: AcceptContext,
  clients: readonly string[],
  moved: Map<string, number>,
): Promise<string[]> {
  const count = (c: string, n: number) => moved.set(c, (moved.get(c) ?? 0) + n);
  const failed: string[] = [];
  const batches: { b: Batch; plans: Plan[] }[] = [];
  let cur = { b: new Batch(ctx.kv), plans: [] as Plan[] };
  for (const plan of await readPlans(ctx, clients)) {
    const c = cost(plan.moves);
    if (!new Batch(ctx.kv).fits(...c)) {
      const r = await commitLarge(ctx, plan);
      count(plan.client, r.moved);
      if (!r.done) failed.push(plan.client);
      continue;
    }
    if (!cur.b.fits(...c)) {
      batches.push(cur);
      cur = { b: new Batch(ctx.kv), plans: [] };
    }
    cur.b.op.check(plan.tail);
    addMoves(ctx, cur.b.op, plan.client, plan.moves, plan.tail.value);
    cur.b.add(...c);
    cur.plans.push(plan);
  }
  if (cur.plans.length > 0) batches.push(cur);
  for (const { b, plans } of batches) {
    const res = await unlocked(() => b.op.commit());
    for (const p of plans) {
      if (res.ok) count(p.client, p.moves.length);
      else failed.push(p.client);
    }
  }
  return failed;
}

/**
 * Moves every unsequenced entry of these clients' inboxes into their logs
 * (see the module doc); returns how many entries each client got.
 * Retries on conflicts with concurrent runs.
 */
export async function sequenceInboxes(
  ctx: AcceptContext,
  clients: readonly string[],
): Promise<Map<string, number>> {
  const moved = new Map<string, number>();
  let todo = [...new Set(clients)];
  for (let attempt = 0; todo.length > 0; attempt++) {
    if (attempt >= 50) {
      throw new Error("inbox log contention: too many retries");
    }
    // After a conflict, one client per operation: one busy log must not
    // keep failing the others.
    if (attempt === 0) todo = await pass(ctx, todo, moved);
    else {
      const again: string[] = [];
      for (const c of todo) again.push(...await pass(ctx, [c], moved));
      todo = again;
      if (todo.length > 0) {
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }
  return moved;
}

/**
 * Sequences inboxes in the background, right after messages were
 * delivered to them: batches the clients of many deliveries into few
 * operations, and calls `done` with each batch once its entries are in
 * the logs (not when the attempt failed: readers then sequence on their
 * own).
 */
export class Sequencer {
  readonly #ctx: AcceptContext;
  readonly #done: (clients: string[]) => void;
  readonly #queue = new Set<string>();
  #running: Promise<void> | undefined;

  /**
   * @param ctx the database and keys
   * @param done called with the clients of each finished batch
   */
  constructor(ctx: AcceptContext, done: (clients: string[]) => void) {
    this.#ctx = ctx;
    this.#done = done;
  }

  /** Queues these clients' inboxes. */
  schedule(clients: Iterable<string>): void {
    for (const c of clients) this.#queue.add(c);
    if (this.#running || this.#queue.size === 0) return;
    // Assigned before the run can end (it ends in a later turn), and
    // cleared by it, so `#running` is never a finished run: a delivery to
    // nobody once left it set and stopped every later run.
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      this.schedule([]); // what was queued while the run was ending
    });
  }

  async #run(): Promise<void> {
    while (this.#queue.size > 0) {
      const batch = [...this.#queue].slice(0, MAX_CHECKS);
      for (const c of batch) this.#queue.delete(c);
      try {
        await sequenceInboxes(this.#ctx, batch);
        this.#done(batch);
      } catch (e) {
        // No wake-up: a woken reader skips sequencing. Readers that were
        // not woken (a new fetch, a stream's ping round) move the entries.
        console.error("inbox sequencing failed (readers will retry):", e);
      }
    }
  }

  /** Resolves once every queued inbox has been sequenced. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
