/**
 * Accepting a message on the Postgres store, in one transaction:
 *
 * 1. the group row is locked (`SELECT … FOR UPDATE`), so accepts of one
 *    group run one after the other; `planAccept` (`rules.ts`) decides on
 *    the record read under the lock, so of two commits for epoch E the
 *    first to lock wins and the second sees E+1 and is rejected (409), as
 *    on the other stores;
 * 2. the next log position(s) are taken from `counter` (the row stays
 *    locked to the commit, so positions commit in order: see
 *    `pg_schema.ts`);
 * 3. the message is written once into `group_log`, a Welcome once per
 *    recipient into `inbox`, memberships are closed and opened, the group
 *    row, GroupInfo and kept proposals are updated;
 * 4. the wake-ups are sent with `pg_notify`, delivered at commit.
 *
 * Any failure rolls the whole transaction back: nothing changed.
 *
 * @module
 */

import { planAccept } from "./rules.ts";
import { num, type Sql, type Tx } from "./pg_sql.ts";
import { CHANNEL, CLIENTS_PER_NOTIFY, PREFIX } from "./pg_wake.ts";
import type {
  AcceptRequest,
  AcceptResult,
  GroupRecord,
  MemberRecord,
} from "./store.ts";

/** A `groups` row as a {@link GroupRecord}. */
export function groupRecord(r: Record<string, unknown>): GroupRecord {
  return {
    groupId: r.group_id as string,
    epoch: r.epoch as number,
    seq: num(r.seq),
    externalJoins: r.external_joins as boolean,
    members: r.members as MemberRecord[],
    ...(r.handshakes ? { handshakes: r.handshakes as "public" | "any" } : {}),
  };
}

/** Runs {@link DeliveryStore.accept} on Postgres; see the module doc. */
export async function pgAccept(
  sql: Sql,
  req: AcceptRequest,
): Promise<AcceptResult> {
  return await sql.begin(async (tx: Tx): Promise<AcceptResult> => {
    const [row] = await tx`
      SELECT group_id, epoch, seq, external_joins, handshakes, members
      FROM groups WHERE group_id = ${req.groupId} FOR UPDATE`;
    const record = row ? groupRecord(row) : null;
    const plan = planAccept(record, req);
    if ("reject" in plan) {
      return { ok: false, reason: plan.reject, epoch: plan.epoch };
    }
    const group = record!;
    const seq = group.seq + 1;
    const welcome = req.welcome && plan.welcomeRecipients.length > 0
      ? req.welcome
      : undefined;
    // The poster does not read its own proposal or application message,
    // nor its own external commit (see planAccept).
    const skip = req.kind !== "commit" || req.external ? req.poster : null;
    const k = welcome ? 2 : 1;
    // The position last, so the counter's row lock is held the least.
    const [c] = await tx`
      WITH c AS (UPDATE counter SET n = n + ${k} RETURNING n)
      INSERT INTO group_log (group_id, pos, kind, epoch, seq, bytes, skip, at)
      SELECT ${req.groupId}, c.n - ${k - 1}, ${req.kind}, ${req.epoch},
        ${seq}, ${req.message}, ${skip}, ${Date.now()}
      FROM c RETURNING pos::float8 AS pos`;
    const pos = c.pos as number;
    const last = pos + k - 1;
    // The rest depends on nothing it returns: sent in one pipeline (run in
    // this order on the transaction's connection).
    const queries: PromiseLike<unknown>[] = [];
    if (welcome) {
      queries.push(tx`
        INSERT INTO inbox (client_id, pos, group_id, epoch, seq, bytes)
        SELECT r, ${last}, ${req.groupId}, ${plan.epoch}, ${seq},
          ${welcome.bytes}
        FROM unnest(${plan.welcomeRecipients}::text[]) AS r`);
    }
    const added = plan.members
      ? moveMembers(tx, group, plan.members, pos, queries)
      : [];
    queries.push(tx`
      UPDATE groups SET seq = ${seq}, epoch = ${plan.epoch},
        members = ${JSON.stringify(plan.members ?? group.members)}::text::jsonb
      WHERE group_id = ${req.groupId}`);
    if (req.groupInfo) {
      queries.push(tx`
        UPDATE groups SET group_info = ${req.groupInfo},
          group_info_epoch = ${plan.epoch}
        WHERE group_id = ${req.groupId}`);
    }
    keepProposal(tx, req, queries);
    queries.push(tx`
      SELECT pg_notify(${CHANNEL}, ${`g ${req.groupId} ${pos} ${last}`})`);
    const woken = [
      ...new Set(
        [...added, ...plan.welcomeRecipients].map((c) => c.slice(0, PREFIX)),
      ),
    ];
    for (let i = 0; i < woken.length; i += CLIENTS_PER_NOTIFY) {
      const list = woken.slice(i, i + CLIENTS_PER_NOTIFY).join(",");
      queries.push(tx`SELECT pg_notify(${CHANNEL}, ${`c ${list}`})`);
    }
    await Promise.all(queries);
    return { ok: true, epoch: plan.epoch, seq };
  });
}

/**
 * After the commit at `pos`: removed members (and members whose `since`
 * changed, an external resync) stop reading at `pos`; new memberships
 * read from after it. Queues its writes on `queries`; returns the clients
 * of the new memberships.
 */
function moveMembers(
  tx: Tx,
  group: GroupRecord,
  next: readonly MemberRecord[],
  pos: number,
  queries: PromiseLike<unknown>[],
): string[] {
  const before = new Map(group.members.map((m) => [m.clientId, m.since]));
  const after = new Map(next.map((m) => [m.clientId, m.since]));
  const closed = [...before].filter(([c, s]) => after.get(c) !== s)
    .map(([c]) => c);
  const opened = [...after].filter(([c, s]) => before.get(c) !== s);
  if (closed.length > 0) {
    queries.push(tx`
      UPDATE memberships SET to_pos = ${pos}
      WHERE group_id = ${group.groupId} AND to_pos IS NULL
        AND client_id = ANY(${closed}::text[])`);
  }
  if (opened.length > 0) {
    queries.push(tx`
      INSERT INTO memberships (group_id, client_id, since, from_pos)
      SELECT ${group.groupId}, c, s, ${pos}
      FROM unnest(${opened.map(([c]) => c)}::text[],
        ${opened.map(([, s]) => s)}::int[]) AS t(c, s)`);
  }
  return opened.map(([c]) => c);
}

/** Keeps a verified proposal for its epoch; a commit starts a new epoch. */
function keepProposal(
  tx: Tx,
  req: AcceptRequest,
  queries: PromiseLike<unknown>[],
): void {
  if (req.kind === "commit") {
    queries.push(tx`DELETE FROM proposals WHERE group_id = ${req.groupId}`);
  }
  if (req.kind !== "proposal" || !req.proposalRef) return;
  queries.push(tx`
    DELETE FROM proposals
    WHERE group_id = ${req.groupId} AND epoch <> ${req.epoch}`);
  queries.push(tx`
    INSERT INTO proposals (group_id, ref, epoch, bytes)
    VALUES (${req.groupId}, ${req.proposalRef}, ${req.epoch}, ${req.message})
    ON CONFLICT (group_id, ref) DO UPDATE SET bytes = EXCLUDED.bytes,
      epoch = EXCLUDED.epoch`);
}
