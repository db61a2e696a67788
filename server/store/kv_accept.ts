/**
 * Accepting a message in the Deno KV store: read the group record, decide
 * with {@link planAccept}, and write the message, every recipient's inbox
 * entry, the membership change and the new record in one atomic operation
 * that checks the record's versionstamp. Whoever writes the record first
 * wins; the loser re-reads and is re-judged (a second commit for the same
 * epoch is then an `epoch_conflict`). This holds across processes sharing
 * one KV database.
 *
 * @module
 */

import { chunks } from "./kv_chunks.ts";
import { proposalWrites } from "./kv_proposals.ts";
import { unlocked } from "./kv_retry.ts";
import type { GroupMeta, InboxValue, Keys } from "./kv_keys.ts";
import { type AcceptPlan, planAccept } from "./rules.ts";
import type {
  AcceptRequest,
  AcceptResult,
  GroupRecord,
  MemberRecord,
  MessageKind,
} from "./store.ts";

/** Limits of one atomic operation (Deno KV: 1000 mutations, 800 KiB). */
const MAX_MUTATIONS = 1000;
/** A message is copied into each inbox while the copies stay this small. */
const INLINE_TOTAL = 64 * 1024;

/** What the accepting code needs from the store. */
export interface AcceptContext {
  /** The database. */
  readonly kv: Deno.Kv;
  /** Key builder. */
  readonly keys: Keys;
  /** Retention of messages and inbox entries, ms. */
  readonly retentionMs: number;
}

/** Reads a group's record and members (members read after the record). */
export async function readGroup(
  ctx: AcceptContext,
  gid: string,
): Promise<{ entry: Deno.KvEntry<GroupMeta>; record: GroupRecord } | null> {
  const entry = await ctx.kv.get<GroupMeta>(ctx.keys.group(gid));
  if (entry.value === null) return null;
  const members: MemberRecord[] = [];
  for await (const m of ctx.kv.list<number>({ prefix: ctx.keys.member(gid) })) {
    members.push({
      clientId: m.key[m.key.length - 1] as string,
      since: m.value,
    });
  }
  const meta = entry.value;
  return {
    entry: entry as Deno.KvEntry<GroupMeta>,
    record: {
      groupId: gid,
      epoch: meta.epoch,
      seq: meta.seq,
      externalJoins: meta.externalJoins,
      members,
      ...(meta.handshakes ? { handshakes: meta.handshakes } : {}),
    },
  };
}

class Budget {
  count = 0;
  add(n: number): void {
    this.count += n;
  }
}

/** Where a delivered message lives: group, sequence, entry id, kind. */
interface Where {
  gid: string;
  seq: number;
  /** Unique within (gid, seq): the kind, or a random id for application data. */
  id: string;
  kind: MessageKind;
  epoch: number;
}

function deliver(
  ctx: AcceptContext,
  op: Deno.AtomicOperation,
  budget: Budget,
  to: readonly string[],
  where: Where,
  bytes: Uint8Array,
): void {
  if (to.length === 0) return;
  const expireIn = ctx.retentionMs;
  const value: InboxValue = {
    epoch: where.epoch,
    kind: where.kind,
    at: Date.now(),
  };
  if (bytes.length * to.length <= INLINE_TOTAL) value.inline = bytes;
  else {
    const cs = chunks(bytes);
    value.parts = cs.length;
    const prefix = ctx.keys.blob(where.gid, where.seq, where.id);
    cs.forEach((c, i) => op.set([...prefix, i], c, { expireIn }));
    budget.add(cs.length);
  }
  for (const c of to) {
    op.set(ctx.keys.inbox(c, where.gid, where.seq, where.id), value, {
      expireIn,
    });
    op.sum(ctx.keys.head(c), 1n);
  }
  budget.add(2 * to.length);
}

function membershipWrites(
  ctx: AcceptContext,
  op: Deno.AtomicOperation,
  budget: Budget,
  gid: string,
  before: readonly MemberRecord[],
  after: readonly MemberRecord[],
): void {
  const old = new Map(before.map((m) => [m.clientId, m.since]));
  const next = new Set(after.map((m) => m.clientId));
  for (const m of before) {
    if (next.has(m.clientId)) continue;
    op.delete(ctx.keys.member(gid, m.clientId));
    op.delete(ctx.keys.groups(m.clientId, gid));
    op.delete(ctx.keys.joined(gid, m.clientId));
    budget.add(3);
  }
  for (const m of after) {
    if (old.get(m.clientId) === m.since) continue;
    op.set(ctx.keys.member(gid, m.clientId), m.since);
    op.set(ctx.keys.groups(m.clientId, gid), true);
    budget.add(2);
  }
}

/** Writes a GroupInfo's chunks for `epoch` and deletes the previous ones. */
export function groupInfoWrites(
  ctx: AcceptContext,
  op: Deno.AtomicOperation,
  gid: string,
  meta: GroupMeta | null,
  epoch: number,
  bytes: Uint8Array,
): number {
  let n = 0;
  const cs = chunks(bytes);
  if (meta) {
    for (let i = 0; i < meta.giParts; i++) {
      if (meta.giEpoch === epoch && i < cs.length) continue; // overwritten
      op.delete([...ctx.keys.gi(gid, meta.giEpoch), i]);
      n++;
    }
  }
  cs.forEach((c, i) => op.set([...ctx.keys.gi(gid, epoch), i], c));
  return n + cs.length;
}

function build(
  ctx: AcceptContext,
  req: AcceptRequest,
  read: { entry: Deno.KvEntry<GroupMeta>; record: GroupRecord },
  plan: AcceptPlan,
): { op: Deno.AtomicOperation; budget: Budget; meta: GroupMeta } {
  const { entry, record } = read;
  const gid = req.groupId;
  const budget = new Budget();
  if (req.kind === "application") {
    // Application data changes no group state: no check of the record, so
    // concurrent messages do not contend; a random id keeps entries apart.
    // Ordering against commits holds anyway: a message of epoch E+1 is
    // only made after its sender received commit E+1, which every inbox
    // got in the same operation that accepted it.
    const op = ctx.kv.atomic();
    const id = `a${crypto.randomUUID().replaceAll("-", "")}`;
    deliver(ctx, op, budget, plan.recipients, {
      gid,
      seq: record.seq,
      id,
      kind: "application",
      epoch: req.epoch,
    }, req.message);
    return { op, budget, meta: entry.value };
  }
  const seq = record.seq + 1;
  const op = ctx.kv.atomic().check(entry);
  deliver(ctx, op, budget, plan.recipients, {
    gid,
    seq,
    id: req.kind,
    kind: req.kind,
    epoch: req.epoch,
  }, req.message);
  if (req.welcome) {
    deliver(ctx, op, budget, plan.welcomeRecipients, {
      gid,
      seq,
      id: "welcome",
      kind: "welcome",
      epoch: plan.epoch,
    }, req.welcome.bytes);
  }
  const meta: GroupMeta = { ...entry.value, seq, epoch: plan.epoch };
  if (req.proposalRef) {
    budget.add(
      proposalWrites(ctx, op, gid, req.epoch, req.proposalRef, req.message),
    );
  }
  if (plan.members) {
    membershipWrites(ctx, op, budget, gid, record.members, plan.members);
  }
  if (req.groupInfo) {
    budget.add(
      groupInfoWrites(ctx, op, gid, entry.value, plan.epoch, req.groupInfo),
    );
    meta.giEpoch = plan.epoch;
    meta.giParts = chunks(req.groupInfo).length;
  }
  op.set(ctx.keys.group(gid), meta);
  budget.add(1);
  return { op, budget, meta };
}

/**
 * Accepts `req` (see the module doc); `notify` gets the inboxes written.
 * Retries while other writers change the group record concurrently.
 */
export async function kvAccept(
  ctx: AcceptContext,
  req: AcceptRequest,
  notify: (clientIds: string[]) => void,
): Promise<AcceptResult> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const read = await readGroup(ctx, req.groupId);
    const plan = planAccept(read?.record ?? null, req);
    if ("reject" in plan) {
      return { ok: false, reason: plan.reject, epoch: plan.epoch };
    }
    const { op, budget, meta } = build(ctx, req, read!, plan);
    if (budget.count > MAX_MUTATIONS) {
      return {
        ok: false,
        reason: "group_too_large",
        epoch: read!.record.epoch,
      };
    }
    let res: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      res = await unlocked(() => op.commit());
    } catch (e) {
      if (e instanceof TypeError && /too large|Too many/i.test(e.message)) {
        return {
          ok: false,
          reason: "group_too_large",
          epoch: read!.record.epoch,
        };
      }
      throw e;
    }
    if (res.ok) {
      notify([...plan.recipients, ...plan.welcomeRecipients]);
      return { ok: true, epoch: meta.epoch, seq: meta.seq };
    }
    // Someone else moved the group: back off a little and judge again.
    await new Promise((r) => setTimeout(r, Math.random() * 5 * (1 + attempt)));
  }
  throw new Error("group record contention: too many retries");
}
