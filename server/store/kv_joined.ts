/**
 * Joined marks on Deno KV: `joined, gid, id` holds the `since` of the
 * membership in which the client joined (posted, or fetched its Welcome).
 * A member is joined when the mark equals its membership's `since`, so a
 * removal and a later re-add (a new `since`) make it invited again without
 * any write at removal time. The accepting code deletes the marks of
 * removed members only to keep the database tidy.
 *
 * @module
 */

import type { AcceptContext } from "./kv_accept.ts";
import { unlocked } from "./kv_retry.ts";

/** Marks `clientId` joined in its current membership of `gid`, if any. */
export async function markJoined(
  ctx: AcceptContext,
  gid: string,
  clientId: string,
): Promise<void> {
  const k = ctx.keys;
  for (let attempt = 0; attempt < 10; attempt++) {
    const [member, joined] = await ctx.kv.getMany<[number, number]>([
      k.member(gid, clientId),
      k.joined(gid, clientId),
    ]);
    if (member.value === null || joined.value === member.value) return;
    // Checked against the membership: a concurrent removal or re-add wins.
    const op = ctx.kv.atomic().check(member)
      .set(k.joined(gid, clientId), member.value);
    if ((await unlocked(() => op.commit())).ok) return;
  }
}

/** The joined members of `gid`. */
export async function joinedMembers(
  ctx: AcceptContext,
  gid: string,
): Promise<string[]> {
  const since = new Map<string, number>();
  for await (
    const e of ctx.kv.list<number>({ prefix: ctx.keys.member(gid) })
  ) {
    since.set(e.key[e.key.length - 1] as string, e.value);
  }
  const out: string[] = [];
  for await (
    const e of ctx.kv.list<number>({ prefix: ctx.keys.joined(gid) })
  ) {
    const id = e.key[e.key.length - 1] as string;
    if (since.get(id) === e.value) out.push(id);
  }
  return out;
}

/** Which of `gids` (groups `clientId` is a member of) it has joined. */
export async function joinedOf(
  ctx: AcceptContext,
  clientId: string,
  gids: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < gids.length; i += 5) {
    const batch = gids.slice(i, i + 5);
    const got = await ctx.kv.getMany<number[]>(
      batch.flatMap((g) => [
        ctx.keys.member(g, clientId),
        ctx.keys.joined(g, clientId),
      ]),
    );
    batch.forEach((g, j) => {
      const [m, jn] = [got[2 * j].value, got[2 * j + 1].value];
      if (m !== null && m === jn) out.push(g);
    });
  }
  return out;
}
