/**
 * A group as a Durable Object (one per group id): its record (epoch,
 * sequence, members), GroupInfo, verified proposals, joined marks, and
 * the fan-out of its messages to its members' inbox objects.
 *
 * Order: the object handles one call at a time up to its first outside
 * call, so deciding on a message (the shared rules, `store/rules.ts`: the
 * first commit of an epoch wins) and storing the new state is atomic.
 * Fan-out goes through an outbox stored in that same step and drained in
 * order by one loop, so each inbox gets the group's messages in the order
 * they were accepted, a Welcome before the new epoch's messages, and
 * nothing is lost if the object restarts or an inbox fails to answer (the
 * outbox is drained again, by an alarm or the next call; inboxes ignore
 * deliveries they have). `accept` answers once its
 * deliveries are done, so a sender's next read sees its message fanned
 * out.
 *
 * @module
 */

import { planAccept } from "../store/rules.ts";
import type {
  AcceptRequest,
  AcceptResult,
  GroupRecord,
  MemberRecord,
  NewGroup,
} from "../store/store.ts";
import type { Delivery, Membership } from "./inbox_object.ts";
import { call, type Methods, serveRpc } from "./rpc.ts";
import type { DurableState, DurableStorage, WorkerEnv } from "./types.ts";

/** What one accepted message sends to which inboxes. */
interface OutboxEntry {
  /** Its position in the group. */
  readonly pos: number;
  /** Client -> what it gets. */
  readonly to: Record<string, { deliveries: Delivery[]; member?: boolean }>;
}

/** Delay before a failed fan-out is tried again, ms. */
const RETRY_MS = 500;

const outKey = (pos: number) => `out/${pos.toString(16).padStart(12, "0")}`;

/** The group object. */
export class GroupObject {
  readonly #storage: DurableStorage;
  readonly #env: WorkerEnv;
  #record: GroupRecord | null = null;
  #groupInfo: { epoch: number; bytes: Uint8Array } | null = null;
  #proposals: { epoch: number; byRef: Record<string, Uint8Array> } | null =
    null;
  /** Client -> the `since` of the membership it joined in. */
  #joined: Record<string, number> = {};
  #pos = 0;
  /** Prefix of the inbox objects' names (see `DurableObjectStore`). */
  #prefix = "";
  #outbox: OutboxEntry[] = [];
  #draining: Promise<void> | null = null;
  #delivered = 0;

  /** Loads the state (and resumes an unfinished fan-out). */
  constructor(state: DurableState, env: WorkerEnv) {
    this.#storage = state.storage;
    this.#env = env;
    state.blockConcurrencyWhile(async () => {
      const s = this.#storage;
      this.#record = await s.get<GroupRecord>("record") ?? null;
      this.#groupInfo = await s.get("groupInfo") ?? null;
      this.#proposals = await s.get("proposals") ?? null;
      this.#joined = await s.get("joined") ?? {};
      this.#pos = await s.get<number>("pos") ?? 0;
      this.#prefix = await s.get<string>("prefix") ?? "";
      this.#outbox = [
        ...(await s.list<OutboxEntry>({ prefix: "out/" })).values(),
      ];
      this.#delivered = this.#outbox.length > 0 ? this.#outbox[0].pos - 1 : 0;
    });
  }

  /** Serves the worker's calls (rpc.ts). */
  async fetch(request: Request): Promise<Response> {
    // After a restart or a failed delivery: fan out what is left.
    if (this.#outbox.length > 0) this.#drain().catch(() => {});
    return await serveRpc(this.#methods, request);
  }

  /** Stores the state and a new outbox entry in one write. */
  #save(entry: OutboxEntry | null): void {
    const writes: Record<string, unknown> = {
      record: this.#record,
      groupInfo: this.#groupInfo,
      proposals: this.#proposals,
      joined: this.#joined,
      pos: this.#pos,
    };
    if (entry) {
      writes[outKey(entry.pos)] = entry;
      this.#outbox.push(entry);
    }
    this.#storage.put(writes);
  }

  /** Drains the outbox in order (one loop at a time). */
  #drain(): Promise<void> {
    return this.#draining ??= (async () => {
      try {
        while (this.#outbox.length > 0) {
          const entry = this.#outbox[0];
          await Promise.all(
            Object.entries(entry.to).map(([client, what]) => {
              const memberships: Membership[] = what.member === undefined
                ? []
                : [{ groupId: this.#record!.groupId, member: what.member }];
              const stub = this.#env.INBOXES.get(
                this.#env.INBOXES.idFromName(this.#prefix + client),
              );
              return call(stub, "deliver", what.deliveries, memberships);
            }),
          );
          this.#outbox.shift();
          await this.#storage.delete([outKey(entry.pos)]);
          this.#delivered = entry.pos;
        }
      } finally {
        this.#draining = null;
      }
    })();
  }

  /**
   * Waits until the entry at `pos` is delivered (the loop runs until the
   * outbox is empty, and the entry is in it). A delivery that keeps
   * failing does not fail the call: the message is accepted, and its
   * fan-out is retried by an alarm (and by the object's next call).
   */
  async #deliveredUpTo(pos: number): Promise<void> {
    for (let i = 0; i < 3 && this.#delivered < pos; i++) {
      try {
        await this.#drain();
      } catch {
        // retried just above, then by the alarm
      }
    }
    if (this.#delivered < pos) {
      await this.#storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  /** The retry alarm: drains the outbox, or tries again later. */
  async alarm(): Promise<void> {
    try {
      await this.#drain();
    } catch {
      // below
    }
    if (this.#outbox.length > 0) {
      await this.#storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  #methods: Methods = {
    create: async (g: NewGroup, prefix: string): Promise<boolean> => {
      if (this.#record) return false;
      this.#prefix = prefix;
      this.#storage.put({ prefix });
      const members = [...new Set(g.members)];
      this.#record = {
        groupId: g.groupId,
        epoch: g.epoch,
        seq: 0,
        externalJoins: g.externalJoins,
        members: members.map((clientId) => ({ clientId, since: g.epoch })),
        handshakes: g.handshakes ?? "any",
      };
      this.#groupInfo = { epoch: g.epoch, bytes: g.groupInfo };
      for (const c of g.joined ?? []) {
        if (members.includes(c)) this.#joined[c] = g.epoch;
      }
      const pos = ++this.#pos;
      const to: OutboxEntry["to"] = {};
      for (const c of members) to[c] = { deliveries: [], member: true };
      this.#save({ pos, to });
      await this.#deliveredUpTo(pos);
      return true;
    },
    get: (): GroupRecord | null => this.#record,
    getGroupInfo: () => this.#groupInfo,
    putGroupInfo: (epoch: number, bytes: Uint8Array): AcceptResult => {
      const r = this.#record;
      if (!r) return { ok: false, reason: "unknown_group" };
      if (r.epoch !== epoch) {
        return { ok: false, reason: "epoch_conflict", epoch: r.epoch };
      }
      this.#groupInfo = { epoch, bytes };
      this.#save(null);
      return { ok: true, epoch, seq: r.seq };
    },
    getProposal: (epoch: number, ref: string): Uint8Array | null =>
      this.#proposals?.epoch === epoch && this.#record?.epoch === epoch
        ? this.#proposals.byRef[ref] ?? null
        : null,
    markJoined: (clientId: string): null => {
      const m = this.#record?.members.find((m) => m.clientId === clientId);
      if (m && this.#joined[clientId] !== m.since) {
        this.#joined[clientId] = m.since;
        this.#save(null);
      }
      return null;
    },
    joinedMembers: (): string[] =>
      (this.#record?.members ?? [])
        .filter((m) => this.#joined[m.clientId] === m.since)
        .map((m) => m.clientId),
    accept: async (req: AcceptRequest): Promise<AcceptResult> => {
      const plan = planAccept(this.#record, req);
      if ("reject" in plan) {
        return { ok: false, reason: plan.reject, epoch: plan.epoch };
      }
      const before = this.#record!;
      const seq = before.seq + 1;
      const pos = ++this.#pos;
      const to: OutboxEntry["to"] = {};
      const message = {
        groupId: req.groupId,
        kind: req.kind,
        epoch: req.epoch,
        seq,
        bytes: req.message,
      };
      for (const c of plan.recipients) {
        to[c] = { deliveries: [{ key: `${req.groupId}/${pos}`, message }] };
      }
      if (req.welcome) {
        for (const c of plan.welcomeRecipients) {
          (to[c] ??= { deliveries: [] }).deliveries.push({
            key: `${req.groupId}/${pos}/welcome`,
            message: {
              groupId: req.groupId,
              kind: "welcome",
              epoch: plan.epoch,
              seq,
              bytes: req.welcome.bytes,
            },
          });
        }
      }
      if (plan.members) memberships(before.members, plan.members, to);
      this.#record = {
        ...before,
        seq,
        epoch: plan.epoch,
        members: plan.members ?? before.members,
      };
      if (req.groupInfo) {
        this.#groupInfo = { epoch: plan.epoch, bytes: req.groupInfo };
      }
      if (req.kind === "commit") this.#proposals = null;
      if (req.kind === "proposal" && req.proposalRef) {
        if (this.#proposals?.epoch !== req.epoch) {
          this.#proposals = { epoch: req.epoch, byRef: {} };
        }
        this.#proposals.byRef[req.proposalRef] = req.message;
      }
      this.#save({ pos, to });
      await this.#deliveredUpTo(pos);
      return { ok: true, epoch: plan.epoch, seq };
    },
  };
}

/** Adds the membership changes of a commit to its outbox entry. */
function memberships(
  before: readonly MemberRecord[],
  after: readonly MemberRecord[],
  to: OutboxEntry["to"],
): void {
  const was = new Set(before.map((m) => m.clientId));
  const is = new Set(after.map((m) => m.clientId));
  for (const c of was) {
    if (!is.has(c)) (to[c] ??= { deliveries: [] }).member = false;
  }
  for (const c of is) {
    if (!was.has(c)) (to[c] ??= { deliveries: [] }).member = true;
  }
}
