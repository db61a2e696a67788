/**
 * Accepting messages in the Deno KV store, fan-out on read (issue 23):
 * each message is written once, into its group's log at the next position
 * (`glog, gid, pos`), in an atomic operation checked against the group
 * record that holds the last position; the record is rewritten in the same
 * operation. So every write to a group's log, application messages
 * included, is judged against one consistent state, positions are
 * consecutive and never reused, and a reader that has seen position p
 * never later sees a new entry before p. This holds across processes
 * sharing one database: the loser of a race re-reads and is re-judged (a
 * second commit for the same epoch is then an `epoch_conflict`).
 *
 * Within one process, writes to one group are queued and the queued
 * non-commit messages go into one operation (up to {@link MAX_BATCH}):
 * the record is then rewritten once per batch, not once per message, and
 * concurrent posters do not retry against each other. A commit goes alone:
 * it also writes the new roster (`kv_roster.ts`), the Welcome (one log
 * entry that only its recipients read) and the `groups` rows of new
 * readers. Large bytes are written beforehand as blobs (`kv_blobs.ts`);
 * so are the rows of a large add, which are harmless if the commit then
 * loses (a row of a group whose roster does not list the client shows it
 * nothing). A commit adding 999 members thus stays within Deno KV's 1,000
 * mutations per operation.
 *
 * @module
 */

import { blobDeletes, dropBlobs, writeBlob } from "./kv_blobs.ts";
import type { KvContext } from "./kv_context.ts";
import {
  type GroupState,
  lastReadable,
  readGroup,
  recordOf,
} from "./kv_group.ts";
import type {
  BlobRef,
  GroupMeta,
  KvInterval,
  LogValue,
  Roster,
} from "./kv_keys.ts";
import { proposalWrites } from "./kv_proposals.ts";
import { cursorOf } from "./kv_cursor.ts";
import { unlocked } from "./kv_retry.ts";
import { rosterChunks, view } from "./kv_roster.ts";
import { type AcceptPlan, planAccept } from "./rules.ts";
import type { AcceptRequest, AcceptResult, MemberRecord } from "./store.ts";

/** Deno KV's limit of mutations per atomic operation. */
const MAX_MUTATIONS = 1000;
/** Messages up to this size go into the log entry itself. */
const INLINE = 16 * 1024;
/** Welcome recipients listed in the entry itself up to this count. */
const INLINE_TO = 40;
/** Non-commit messages per operation. */
export const MAX_BATCH = 64;
/** Inline bytes per operation (Deno KV allows 800 KiB in all). */
const BATCH_BYTES = 400 * 1024;
/**
 * Clients whose rows (`groups`, `head`) a commit writes in its own
 * operation; more go before it. Deno KV also limits the keys of one
 * operation to 80 KiB in all (a row's key is about 100 bytes).
 */
const ROWS_IN_OP = 100;
/** Rows per operation when written ahead. */
const ROWS_PER_OP = 300;
/** Joined marks of removed members deleted by one commit (tidying only). */
const JOINED_DELETES = 50;

/** Called after each accepted write: the group, and Welcome recipients. */
export type Delivered = (gid: string, welcomed: readonly string[]) => void;

interface Job {
  readonly req: AcceptRequest;
  readonly done: PromiseWithResolvers<AcceptResult>;
}

function rejection(plan: { reject: string; epoch?: number }): AcceptResult {
  return {
    ok: false,
    reason: plan.reject as Extract<AcceptResult, { ok: false }>["reason"],
    epoch: plan.epoch,
  };
}

async function backoff(attempt: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.random() * 5 * (1 + attempt)));
}

/** The roster after a commit at `pos` that leaves `next` as members. */
function nextRoster(
  old: Roster,
  next: readonly MemberRecord[],
  pos: number,
): Roster {
  const before = new Map(old.members);
  const after = new Map(next.map((m) => [m.clientId, m.since]));
  const readers = new Map<string, KvInterval[]>(
    old.readers.map(([c, ivs]) => [c, ivs.map((iv) => ({ ...iv }))]),
  );
  for (const [c, since] of before) {
    if (after.get(c) === since) continue;
    const open = readers.get(c)?.find((iv) => iv.to === null);
    if (open) open.to = pos; // it reads this commit, nothing after
  }
  for (const [c, since] of after) {
    if (before.get(c) === since) continue;
    const ivs = readers.get(c) ?? [];
    ivs.push({ since, from: pos, to: null });
    readers.set(c, ivs);
  }
  return { members: [...after], readers: [...readers] };
}

/** Writes to group logs, batched per group within this process. */
export class GroupWriter {
  readonly #ctx: KvContext;
  readonly #delivered: Delivered;
  readonly #queues = new Map<string, Job[]>();
  readonly #running = new Map<string, Promise<void>>();

  /**
   * @param ctx the store's context
   * @param delivered called after each accepted write (wake-ups)
   */
  constructor(ctx: KvContext, delivered: Delivered) {
    this.#ctx = ctx;
    this.#delivered = delivered;
  }

  /** Accepts `req` (see the module doc). */
  accept(req: AcceptRequest): Promise<AcceptResult> {
    const job: Job = { req, done: Promise.withResolvers<AcceptResult>() };
    const gid = req.groupId;
    const q = this.#queues.get(gid) ?? [];
    q.push(job);
    this.#queues.set(gid, q);
    if (!this.#running.has(gid)) {
      this.#running.set(gid, this.#run(gid, q));
    }
    return job.done.promise;
  }

  /** Resolves once every queued write is done. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.all([...this.#running.values()]);
    }
  }

  async #run(gid: string, q: Job[]): Promise<void> {
    // One turn first: posts arriving together are batched.
    await Promise.resolve();
    while (q.length > 0) {
      const batch = take(q);
      try {
        const results = batch[0].req.kind === "commit"
          ? [await this.#commit(gid, batch[0].req)]
          : await this.#append(gid, batch.map((j) => j.req));
        batch.forEach((j, i) => j.done.resolve(results[i]));
      } catch (e) {
        for (const j of batch) j.done.reject(e);
      }
    }
    // In the same turn as the last look at the queue: a later accept
    // starts a new run.
    this.#queues.delete(gid);
    this.#running.delete(gid);
  }

  /** Proposals and application messages: one operation for the batch. */
  async #append(gid: string, reqs: AcceptRequest[]): Promise<AcceptResult[]> {
    const ctx = this.#ctx;
    const blobs = new Map<number, BlobRef>();
    for (const [i, r] of reqs.entries()) {
      if (r.message.length > INLINE) {
        blobs.set(i, await writeBlob(ctx, gid, r.message, true));
      }
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      const st = await readGroup(ctx, gid);
      if (!st) {
        await dropBlobs(ctx, gid, [...blobs.values()]);
        return reqs.map(() => ({ ok: false, reason: "unknown_group" }));
      }
      const m = st.meta.value;
      let seq = m.seq;
      let pos = m.pos;
      const now = Date.now();
      const op = ctx.kv.atomic().check(st.meta);
      const results: AcceptResult[] = [];
      const unused: BlobRef[] = [];
      const written: Written[] = [];
      for (const [i, req] of reqs.entries()) {
        // The rules need only the poster's membership for these kinds.
        const plan = planAccept(
          { ...recordOf(gid, st, req.poster), seq },
          req,
        );
        if ("reject" in plan) {
          results.push(rejection(plan));
          if (blobs.has(i)) unused.push(blobs.get(i)!);
          continue;
        }
        if (req.kind === "proposal") seq++;
        const blob = blobs.get(i);
        const value: LogValue = {
          kind: req.kind,
          epoch: req.epoch,
          seq,
          skip: req.poster,
          at: now,
          ...blob ? { blob } : { inline: req.message },
        };
        op.set(ctx.keys.log(gid, ++pos), value, { expireIn: ctx.retentionMs });
        written.push([pos, value, req.message]);
        if (req.proposalRef) {
          proposalWrites(ctx, op, gid, req.epoch, req.proposalRef, req.message);
        }
        results.push({ ok: true, epoch: m.epoch, seq });
      }
      if (pos === m.pos) {
        await dropBlobs(ctx, gid, unused);
        return results;
      }
      const meta: GroupMeta = { ...m, seq, pos };
      op.set(ctx.keys.group(gid), meta).sum(ctx.keys.clock(), 1n);
      const res = await unlocked(() => op.commit());
      if (res.ok) {
        remember(ctx, gid, res.versionstamp, written);
        await dropBlobs(ctx, gid, unused);
        this.#delivered(gid, []);
        return results;
      }
      await backoff(attempt); // another process wrote the group: again
    }
    throw new Error("group record contention: too many retries");
  }

  /** A commit, alone in its operation (see the module doc). */
  async #commit(gid: string, req: AcceptRequest): Promise<AcceptResult> {
    const ctx = this.#ctx;
    const pre: BlobRef[] = [];
    const blob = async (bytes: Uint8Array, expires: boolean) => {
      const ref = await writeBlob(ctx, gid, bytes, expires);
      pre.push(ref);
      return ref;
    };
    const msgBlob = req.message.length > INLINE
      ? await blob(req.message, true)
      : undefined;
    const welcome = req.welcome;
    const welcomeBlob = welcome && welcome.bytes.length > INLINE
      ? await blob(welcome.bytes, true)
      : undefined;
    const giBlob = req.groupInfo ? await blob(req.groupInfo, false) : undefined;
    let toBlob: BlobRef | undefined;
    const rowsDone = new Set<string>();
    for (let attempt = 0; attempt < 50; attempt++) {
      const st = await readGroup(ctx, gid);
      const plan = planAccept(st ? recordOf(gid, st) : null, req);
      if ("reject" in plan) {
        await dropBlobs(ctx, gid, pre);
        return rejection(plan);
      }
      const s = st!;
      const welcomed = welcome ? plan.welcomeRecipients : [];
      if (welcomed.length > INLINE_TO && !toBlob) {
        toBlob = await blob(
          new TextEncoder().encode(JSON.stringify(welcomed)),
          true,
        );
      }
      // Rows of clients that do not read the group yet, and a bump of the
      // head of each of them and of each Welcome recipient: readers keep
      // their list of groups until their head moves (`kv_reader.ts`). A
      // large add writes both before the commit (rows of a commit that
      // then loses show nothing), so that any read that sees the commit
      // sees the bump too.
      const newcomers = [
        ...new Set([
          ...(plan.members ?? []).map((m) => m.clientId),
          ...welcomed,
        ]),
      ].filter((c) => !s.roster.readers.has(c) && !rowsDone.has(c));
      const wake = [...new Set([...newcomers, ...welcomed])]
        .filter((c) => !rowsDone.has(c));
      let heads = wake;
      if (wake.length > ROWS_IN_OP) {
        await this.#rows(gid, newcomers, wake);
        for (const c of wake) rowsDone.add(c);
        newcomers.length = 0;
        heads = [];
      }
      const built = await this.#buildCommit(gid, req, s, plan, {
        msgBlob,
        welcomeBlob,
        giBlob,
        toBlob,
        newcomers,
        heads,
      });
      if (!built) {
        await dropBlobs(ctx, gid, pre);
        return {
          ok: false,
          reason: "group_too_large",
          epoch: s.meta.value.epoch,
        };
      }
      const res = await unlocked(() => built.op.commit());
      if (res.ok) {
        remember(ctx, gid, res.versionstamp, built.written);
        ctx.rosters.put(gid, built.meta.seq, view(built.roster));
        // Bumped before the commit too: again, to wake other processes.
        if (rowsDone.size > 0) await this.#heads(welcomed);
        this.#delivered(gid, welcomed);
        return { ok: true, epoch: built.meta.epoch, seq: built.meta.seq };
      }
      await backoff(attempt);
    }
    throw new Error("group record contention: too many retries");
  }

  async #buildCommit(
    gid: string,
    req: AcceptRequest,
    st: GroupState,
    plan: AcceptPlan,
    b: {
      msgBlob?: BlobRef;
      welcomeBlob?: BlobRef;
      giBlob?: BlobRef;
      toBlob?: BlobRef;
      newcomers: string[];
      heads: string[];
    },
  ): Promise<
    {
      op: Deno.AtomicOperation;
      meta: GroupMeta;
      roster: Roster;
      written: Written[];
    } | null
  > {
    const ctx = this.#ctx;
    const k = ctx.keys;
    const m = st.meta.value;
    const seq = m.seq + 1;
    let pos = m.pos;
    const now = Date.now();
    const expireIn = ctx.retentionMs;
    const op = ctx.kv.atomic().check(st.meta).check(st.rv);
    let n = 2;
    const commitPos = ++pos;
    const entry: LogValue = {
      kind: "commit",
      epoch: req.epoch,
      seq,
      ...req.external ? { skip: req.poster } : {},
      at: now,
      ...b.msgBlob ? { blob: b.msgBlob } : { inline: req.message },
    };
    op.set(k.log(gid, commitPos), entry, { expireIn });
    n++;
    const written: Written[] = [[commitPos, entry, req.message]];
    const welcomed = req.welcome ? plan.welcomeRecipients : [];
    if (req.welcome && welcomed.length > 0) {
      const w: LogValue = {
        kind: "welcome",
        epoch: plan.epoch,
        seq,
        at: now,
        ...b.welcomeBlob
          ? { blob: b.welcomeBlob }
          : { inline: req.welcome.bytes },
        ...b.toBlob ? { toBlob: b.toBlob } : { to: welcomed },
      };
      op.set(k.log(gid, ++pos), w, { expireIn });
      n++;
      written.push([pos, w, req.welcome.bytes]);
    }
    // The roster: memberships closed and opened at the commit; removed
    // readers that have read past their removal are dropped.
    let roster: Roster = plan.members
      ? nextRoster(st.roster.raw, plan.members, commitPos)
      : st.roster.raw;
    const gone = await this.#pastReaders(gid, roster);
    if (gone.size > 0) {
      roster = {
        ...roster,
        readers: roster.readers.filter(([c]) => !gone.has(c)),
      };
      for (const c of gone) {
        op.delete(k.ack(gid, c)).delete(k.groups(c, gid));
        n += 2;
      }
    }
    const rc = rosterChunks(roster);
    rc.forEach((c, i) => op.set([...k.roster(gid, seq), i], c));
    for (let i = 0; i < st.rv.value.parts; i++) {
      op.delete([...k.roster(gid, st.rv.value.mver), i]);
    }
    op.set(k.rosterRef(gid), { mver: seq, parts: rc.length });
    n += rc.length + st.rv.value.parts + 1;
    for (const c of b.newcomers) op.set(k.groups(c, gid), true);
    n += b.newcomers.length;
    for (const c of b.heads) op.sum(k.head(c), 1n);
    n += b.heads.length;
    // Joined marks of removed members, only to keep the database tidy
    // (a mark counts only for the membership it was made in).
    const after = new Set((plan.members ?? []).map((x) => x.clientId));
    let tidy = 0;
    for (const [c] of st.roster.raw.members) {
      if (plan.members && !after.has(c) && tidy++ < JOINED_DELETES) {
        op.delete(k.joined(gid, c));
        n++;
      }
    }
    const meta: GroupMeta = { ...m, seq, pos, epoch: plan.epoch, mver: seq };
    if (req.groupInfo && b.giBlob) {
      n += blobDeletes(ctx, op, gid, m.gi);
      meta.gi = b.giBlob;
      meta.giEpoch = plan.epoch;
    }
    op.set(k.group(gid), meta).sum(k.clock(), 1n);
    n += 2;
    if (n > MAX_MUTATIONS) return null;
    return { op, meta, roster, written };
  }

  /** Removed readers whose acknowledged position is past their removal. */
  async #pastReaders(gid: string, roster: Roster): Promise<Set<string>> {
    const closed = roster.readers.filter(([, ivs]) =>
      ivs.every((iv) => iv.to !== null)
    );
    const out = new Set<string>();
    for (let i = 0; i < closed.length; i += 10) {
      const part = closed.slice(i, i + 10);
      const got = await this.#ctx.kv.getMany<number[]>(
        part.map(([c]) => this.#ctx.keys.ack(gid, c)),
      );
      part.forEach(([c, ivs], j) => {
        // A few per commit: each costs two deletions.
        if ((got[j].value ?? 0) >= lastReadable(ivs) && out.size < 50) {
          out.add(c);
        }
      });
    }
    return out;
  }

  /**
   * Writes `groups` rows and bumps heads ahead of a large add
   * (idempotent, harmless if the commit loses).
   */
  async #rows(
    gid: string,
    rows: readonly string[],
    heads: readonly string[],
  ): Promise<void> {
    const muts: ((op: Deno.AtomicOperation) => void)[] = [
      ...rows.map((c) => (op: Deno.AtomicOperation) =>
        op.set(this.#ctx.keys.groups(c, gid), true)
      ),
      ...heads.map((c) => (op: Deno.AtomicOperation) =>
        op.sum(this.#ctx.keys.head(c), 1n)
      ),
    ];
    for (let i = 0; i < muts.length; i += ROWS_PER_OP) {
      const op = this.#ctx.kv.atomic();
      for (const f of muts.slice(i, i + ROWS_PER_OP)) f(op);
      await unlocked(() => op.commit());
    }
  }

  /** Bumps the heads of many Welcome recipients (wakes other processes). */
  async #heads(clients: readonly string[]): Promise<void> {
    for (let i = 0; i < clients.length; i += ROWS_PER_OP) {
      const op = this.#ctx.kv.atomic();
      for (const c of clients.slice(i, i + ROWS_PER_OP)) {
        op.sum(this.#ctx.keys.head(c), 1n);
      }
      await unlocked(() => op.commit());
    }
  }
}

/** An entry written: its position, value and message bytes. */
type Written = [number, LogValue, Uint8Array];

/** Puts what an accepted operation wrote into the process's entry cache. */
function remember(
  ctx: KvContext,
  gid: string,
  vs: string,
  written: readonly Written[],
): void {
  for (const [pos, value, bytes] of written) {
    ctx.entries.put(gid, pos, {
      vs,
      value,
      message: {
        cursor: cursorOf(vs, pos, gid),
        groupId: gid,
        kind: value.kind,
        epoch: value.epoch,
        seq: value.seq,
        bytes,
      },
    });
  }
}

/** The next batch: a commit alone, or consecutive non-commit messages. */
function take(q: Job[]): Job[] {
  const isCommit = (j: Job) => j.req.kind === "commit";
  if (isCommit(q[0])) return [q.shift()!];
  const out: Job[] = [];
  let bytes = 0;
  while (q.length > 0 && out.length < MAX_BATCH) {
    if (isCommit(q[0])) break;
    const size = q[0].req.message.length;
    const inline = size > INLINE ? 0 : size;
    if (out.length > 0 && bytes + inline > BATCH_BYTES) break;
    bytes += inline;
    out.push(q.shift()!);
  }
  return out;
}
