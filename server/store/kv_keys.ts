/**
 * Key layout and value shapes of the Deno KV store, under a configurable
 * prefix (default `["webmls"]`):
 *
 * | key | value |
 * | --- | --- |
 * | `client, id` | `{ tokenHash, createdAt }` |
 * | `token, hash` | client id |
 * | `kp, owner, ref` | {@link KpValue} |
 * | `kpref, ref` | owner (kept after a claim: routes Welcomes) |
 * | `group, gid` | {@link GroupMeta}: the versionstamp-checked record |
 * | `member, gid, id` | first epoch as a member |
 * | `groups, id, gid` | `true` (a client's groups) |
 * | `blob, gid, seq, id, i` | chunk `i` of a message stored once for all inboxes |
 * | `gi, gid, epoch, i` | chunk `i` of the GroupInfo of `epoch` |
 * | `inbox, client, gid, seq, id` | {@link InboxValue}: delivered, not yet in the client's log |
 * | `log, client, pos` | {@link LogValue}: the client's inbox in delivery order |
 * | `tail, client` | the last `pos` given out in that log (never expires) |
 * | `head, id` | `Deno.KvU64` bumped on every delivery (wakes pollers) |
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

/** The group record every accepted message rewrites (and checks). */
export interface GroupMeta {
  /** Current epoch. */
  epoch: number;
  /** Last sequence number. */
  seq: number;
  /** External joins allowed. */
  externalJoins: boolean;
  /** Epoch of the stored GroupInfo. */
  giEpoch: number;
  /** Its chunk count. */
  giParts: number;
  /** Handshake policy (absent: `"any"`). */
  handshakes?: "public" | "any";
}

/** An inbox entry: the message inline, or a pointer to its blob. */
export interface InboxValue {
  /** Epoch of the message. */
  epoch: number;
  /** What it is. */
  kind: MessageKind;
  /** The bytes, when small enough to copy into each inbox. */
  inline?: Uint8Array;
  /** Otherwise the blob's chunk count. */
  parts?: number;
  /** When it was accepted, ms since the epoch (absent in older entries). */
  at?: number;
}

/**
 * An entry of a client's log (see `kv_sequencer.ts`): the inbox entry and
 * where its message lives.
 */
export interface LogValue extends InboxValue {
  /** Group id. */
  gid: string;
  /** The group's sequence number of the message. */
  seq: number;
  /** Entry id within (gid, seq); names the blob of a large message. */
  id: string;
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
  /** `member, gid[, id]` */
  member(gid: string, id?: string): Deno.KvKey {
    return id === undefined
      ? [...this.#p, "member", gid]
      : [...this.#p, "member", gid, id];
  }
  /** `groups, id[, gid]` */
  groups(id: string, gid?: string): Deno.KvKey {
    return gid === undefined
      ? [...this.#p, "groups", id]
      : [...this.#p, "groups", id, gid];
  }
  /** `blob, gid, seq, id` (chunk index appended by the caller) */
  blob(gid: string, seq: number, id: string): Deno.KvKey {
    return [...this.#p, "blob", gid, seq, id];
  }
  /** `gi, gid, epoch` (chunk index appended by the caller) */
  gi(gid: string, epoch: number): Deno.KvKey {
    return [...this.#p, "gi", gid, epoch];
  }
  /** `inbox, client[, gid, seq, id]` */
  inbox(client: string, gid?: string, seq?: number, id?: string): Deno.KvKey {
    return gid === undefined
      ? [...this.#p, "inbox", client]
      : [...this.#p, "inbox", client, gid, seq!, id!];
  }
  /** `log, client[, pos]` */
  log(client: string, pos?: number): Deno.KvKey {
    return pos === undefined
      ? [...this.#p, "log", client]
      : [...this.#p, "log", client, pos];
  }
  /** `tail, client` */
  tail(client: string): Deno.KvKey {
    return [...this.#p, "tail", client];
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
