/**
 * Joined marks on Deno KV: `joined, gid, id` holds the `since` of the
 * membership in which the client joined (posted, or fetched its Welcome).
 * A member is joined when the mark equals its membership's `since` in the
 * group's roster, so a removal and a later re-add (a new `since`) make it
 * invited again without any write at removal time. Commits delete the
 * marks of removed members only to keep the database tidy.
 *
 * @module
 */

import type { KvContext } from "./kv_context.ts";
import { readGroup } from "./kv_group.ts";
import type { RosterRef } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";

/** Marks `clientId` joined in its current membership of `gid`, if any. */
export async function markJoined(
  ctx: KvContext,
  gid: string,
  clientId: string,
): Promise<void> {
  const k = ctx.keys;
  for (let attempt = 0; attempt < 10; attempt++) {
    const [rv, joined] = await ctx.kv.getMany<[RosterRef, number]>([
      k.rosterRef(gid),
      k.joined(gid, clientId),
    ]);
    if (rv.value === null) return;
    const roster = await ctx.rosters.get(ctx.kv, k, gid, rv.value);
    if (!roster) continue; // replaced meanwhile
    const since = roster.members.get(clientId);
    if (since === undefined || joined.value === since) return;
    // Checked against the roster: a concurrent removal or re-add wins.
    const op = ctx.kv.atomic().check(rv).set(k.joined(gid, clientId), since);
    if ((await unlocked(() => op.commit())).ok) return;
  }
}

/** The joined members of `gid`. */
export async function joinedMembers(
  ctx: KvContext,
  gid: string,
): Promise<string[]> {
  const st = await readGroup(ctx, gid);
  if (!st) return [];
  const out: string[] = [];
  for await (
    const e of ctx.kv.list<number>({ prefix: ctx.keys.joined(gid) })
  ) {
    const id = e.key[e.key.length - 1] as string;
    if (st.roster.members.get(id) === e.value) out.push(id);
  }
  return out;
}

/** Which of `gids` `clientId` is a member of (`joined`: and has joined). */
export async function memberOf(
  ctx: KvContext,
  clientId: string,
  gids: readonly string[],
  joined: boolean,
): Promise<string[]> {
  const k = ctx.keys;
  const out: string[] = [];
  for (let i = 0; i < gids.length; i += 5) {
    const batch = gids.slice(i, i + 5);
    const got = await ctx.kv.getMany<unknown[]>(
      batch.flatMap((g) => [k.rosterRef(g), k.joined(g, clientId)]),
    );
    for (const [j, g] of batch.entries()) {
      const rv = got[2 * j].value as RosterRef | null;
      if (!rv) continue;
      const roster = await ctx.rosters.get(ctx.kv, k, g, rv) ??
        (await readGroup(ctx, g))?.roster;
      const since = roster?.members.get(clientId);
      if (since === undefined) continue;
      if (!joined || got[2 * j + 1].value === since) out.push(g);
    }
  }
  return out;
}
