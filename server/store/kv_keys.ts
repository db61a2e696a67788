/**
 * Key layout and value shapes of the Deno KV store, under a configurable
 * prefix (default `["webmls"]`). Group messages are stored once, in their
 * group's log (fan-out on read, issue 23):
 *
 * | key | value |
 * | --- | --- |
 * | `client, id` | `{ tokenHash, createdAt }` |
 * | `token, hash` | client id |
 * | `kp, owner, ref` | {@link KpValue} |
 * | `kpref, ref` | owner (kept after a claim: routes Welcomes) |
 * | `group, gid` | {@link GroupMeta}: rewritten (and checked) by every write to the log |
 * | `rv, gid` | {@link RosterRef}: rewritten only by commits |
 * | `roster, gid, mver, i` | chunk `i` of the {@link Roster} of membership version `mver` |
 * | `glog, gid, pos` | {@link LogValue}: the group's log, `pos` consecutive from 1 |
 * | `blob, gid, id, i` | chunk `i` of a large message, Welcome recipient list or GroupInfo |
 * | `ack, gid, id` | the log position up to which `id` has read (acknowledged or skipped) |
 * | `groups, id, gid` | `true`: the client reads this group's log |
 * | `clock` | `Deno.KvU64` bumped by every write to any log: its versionstamp bounds a read |
 * | `head, id` | `Deno.KvU64` bumped when a Welcome is written for `id` (wakes other processes) |
 * | `proposal, gid, epoch, ref, i` | chunk `i` of a verified PublicMessage proposal (expires) |
 * | `joined, gid, id` | the `since` of the membership the client joined in |
 *
 * @module
 */

import type { MessageKind } from "./store.ts";

/** A key package in the directory. */
export interface KpValue {
  /** The KeyPackage MLSMessage. */
  bytes: Uint8Array;
  /** Carries `last_resort`. */
  lastResort: boolean;
  /** Lifetime end, seconds. */
  notAfter: number;
}

/** Bytes stored in chunks under `blob, gid, id`. */
export interface BlobRef {
  /** The blob's id within the group. */
  id: string;
  /** Its chunk count. */
  parts: number;
}

/** The group record every write to the group's log rewrites (and checks). */
export interface GroupMeta {
  /** Current epoch. */
  epoch: number;
  /** Last handshake sequence number. */
  seq: number;
  /** The last position given out in the group's log. */
  pos: number;
  /** The current roster's version (as in `rv, gid`; see `kv_roster.ts`). */
  mver: number;
  /** External joins allowed. */
  externalJoins: boolean;
  /** Epoch of the stored GroupInfo. */
  giEpoch: number;
  /** The GroupInfo's bytes. */
  gi: BlobRef;
  /** Handshake policy (absent: `"any"`). */
  handshakes?: "public" | "any";
}

/** Which roster is current: written with the roster, by commits only. */
export interface RosterRef {
  /** Membership version (the `seq` of the commit that wrote it). */
  mver: number;
  /** Chunk count of the encoded roster. */
  parts: number;
}

/** A stretch of a client's membership, in log positions. */
export interface KvInterval {
  /** The first epoch of the membership. */
  since: number;
  /** Entries after this position are for it. */
  from: number;
  /** Up to and including this position (`null` while a member). */
  to: number | null;
}

/** The members of a group and who reads its log (members and removed ones). */
export interface Roster {
  /** Current members: client id and `since`. */
  members: [string, number][];
  /** Readers: client id and its membership intervals. */
  readers: [string, KvInterval[]][];
}

/** An entry of a group's log: a group message or a Welcome, stored once. */
export interface LogValue {
  /** What it is. */
  kind: MessageKind;
  /** Epoch of the message (for a Welcome: the epoch it joins). */
  epoch: number;
  /** The group's handshake sequence number of (or before) the message. */
  seq: number;
  /** The client that does not read it (its poster), if any. */
  skip?: string;
  /** When it was accepted, ms since the epoch. */
  at: number;
  /** The bytes, when small. */
  inline?: Uint8Array;
  /** Otherwise where they are. */
  blob?: BlobRef;
  /** A Welcome: its recipients, inline when few. */
  to?: string[];
  /** A Welcome to many: its recipients' list (JSON) in a blob. */
  toBlob?: BlobRef;
}

/** Builds keys under one prefix. */
export class Keys {
  readonly #p: Deno.KvKey;

  /** @param prefix the store's key prefix */
  constructor(prefix: Deno.KvKey) {
    this.#p = prefix;
  }

  /** `client, id` */
  client(id: string): Deno.KvKey {
    return [...this.#p, "client", id];
  }
  /** `token, hash` */
  token(hash: string): Deno.KvKey {
    return [...this.#p, "token", hash];
  }
  /** `kp, owner[, ref]` */
  kp(owner: string, ref?: string): Deno.KvKey {
    return ref === undefined
      ? [...this.#p, "kp", owner]
      : [...this.#p, "kp", owner, ref];
  }
  /** `kpref, ref` */
  kpref(ref: string): Deno.KvKey {
    return [...this.#p, "kpref", ref];
  }
  /** `group, gid` */
  group(gid: string): Deno.KvKey {
    return [...this.#p, "group", gid];
  }
  /** `rv, gid` */
  rosterRef(gid: string): Deno.KvKey {
    return [...this.#p, "rv", gid];
  }
  /** `roster, gid, mver` (chunk index appended by the caller) */
  roster(gid: string, mver: number): Deno.KvKey {
    return [...this.#p, "roster", gid, mver];
  }
  /** `glog, gid[, pos]` */
  log(gid: string, pos?: number): Deno.KvKey {
    return pos === undefined
      ? [...this.#p, "glog", gid]
      : [...this.#p, "glog", gid, pos];
  }
  /** `blob, gid, id` (chunk index appended by the caller) */
  blob(gid: string, id: string): Deno.KvKey {
    return [...this.#p, "blob", gid, id];
  }
  /** `ack, gid[, id]` */
  ack(gid: string, id?: string): Deno.KvKey {
    return id === undefined
      ? [...this.#p, "ack", gid]
      : [...this.#p, "ack", gid, id];
  }
  /** `groups, id[, gid]` */
  groups(id: string, gid?: string): Deno.KvKey {
    return gid === undefined
      ? [...this.#p, "groups", id]
      : [...this.#p, "groups", id, gid];
  }
  /** `clock` */
  clock(): Deno.KvKey {
    return [...this.#p, "clock"];
  }
  /** `head, id` */
  head(id: string): Deno.KvKey {
    return [...this.#p, "head", id];
  }
  /**
   * Any key under the prefix, for modules that document their own rows
   * (`kv_proofs.ts`, `kv_claims.ts`).
   */
  under(...parts: Deno.KvKeyPart[]): Deno.KvKey {
    return [...this.#p, ...parts];
  }
  /** `proposal, gid, epoch, ref` (chunk index appended by the caller) */
  proposal(gid: string, epoch: number, ref: string): Deno.KvKey {
    return [...this.#p, "proposal", gid, epoch, ref];
  }
  /** `joined, gid[, id]` */
  joined(gid: string, id?: string): Deno.KvKey {
    return id === undefined
      ? [...this.#p, "joined", gid]
      : [...this.#p, "joined", gid, id];
  }
}
