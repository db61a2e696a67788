/**
 * Reading a group's state on Deno KV: the record every write checks
 * (`group, gid`), the roster it names (`rv, gid`, read in the same
 * snapshot), and the routing view of it ({@link GroupRecord}).
 *
 * @module
 */

import type { KvContext } from "./kv_context.ts";
import type { GroupMeta, KvInterval, RosterRef } from "./kv_keys.ts";
import type { RosterView } from "./kv_roster.ts";
import type { GroupRecord, MemberRecord } from "./store.ts";

/** A group as read: its record's entry, its roster's, and the roster. */
export interface GroupState {
  /** The record (checked by every write to the group). */
  readonly meta: Deno.KvEntry<GroupMeta>;
  /** The roster reference. */
  readonly rv: Deno.KvEntry<RosterRef>;
  /** The decoded roster. */
  readonly roster: RosterView;
}

/** Reads a group (`null`: no such group). */
export async function readGroup(
  ctx: KvContext,
  gid: string,
): Promise<GroupState | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [meta, rv] = await ctx.kv.getMany<[GroupMeta, RosterRef]>([
      ctx.keys.group(gid),
      ctx.keys.rosterRef(gid),
    ]);
    if (meta.value === null || rv.value === null) return null;
    const roster = await ctx.rosters.get(ctx.kv, ctx.keys, gid, rv.value);
    // null: a commit replaced the roster between the two reads; again.
    if (roster) {
      return {
        meta: meta as Deno.KvEntry<GroupMeta>,
        rv: rv as Deno.KvEntry<RosterRef>,
        roster,
      };
    }
  }
  throw new Error("roster replaced too often while reading");
}

/**
 * The routing record of a group. `only`: list just this client among the
 * members (if it is one), enough to judge its non-commit messages without
 * building the whole list.
 */
export function recordOf(
  gid: string,
  st: GroupState,
  only?: string,
): GroupRecord {
  const m = st.meta.value;
  let members: MemberRecord[];
  if (only === undefined) {
    members = st.roster.raw.members.map(([clientId, since]) => ({
      clientId,
      since,
    }));
  } else {
    const since = st.roster.members.get(only);
    members = since === undefined ? [] : [{ clientId: only, since }];
  }
  return {
    groupId: gid,
    epoch: m.epoch,
    seq: m.seq,
    externalJoins: m.externalJoins,
    members,
    ...(m.handshakes ? { handshakes: m.handshakes } : {}),
  };
}

/** Whether `client` with intervals `ivs` reads the entry at `pos`. */
export function reads(
  ivs: readonly KvInterval[] | undefined,
  client: string,
  pos: number,
  epoch: number,
  skip: string | undefined,
): boolean {
  if (!ivs || skip === client) return false;
  for (const iv of ivs) {
    if (
      pos > iv.from && (iv.to === null || pos <= iv.to) && iv.since <= epoch
    ) return true;
  }
  return false;
}

/** The last position `ivs` can read (`Infinity` while a member). */
export function lastReadable(ivs: readonly KvInterval[]): number {
  let last = 0;
  for (const iv of ivs) last = Math.max(last, iv.to ?? Infinity);
  return last;
}
