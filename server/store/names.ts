/**
 * The directory's display names (`PUT /v1/names/me`, `GET /v1/names/...`),
 * kept apart from the delivery store: {@link NameStore}, with
 * {@link MemoryNameStore} (`memory_names.ts`) and `KvNameStore`
 * (`kv_names.ts`).
 *
 * Each client has at most one current name. When it takes another, its
 * previous name stays held for it for {@link NameStoreLimits.holdMs}
 * (nobody else can take it, so that a rename does not hand the old name to
 * someone who then looks like the old owner in existing groups), and only
 * the latest previous name is held: a client cannot reserve names by
 * renaming again and again.
 *
 * @module
 */

/** What {@link NameStore.claim} did. */
export type ClaimNameResult = "ok" | "taken";

/** A name as stored. */
export interface NameEntry {
  /** Its owner. */
  readonly clientId: string;
  /** As shown (NFC). */
  readonly display: string;
}

/** Limits of {@link NameStore.claim}. */
export interface NameStoreLimits {
  /** How long a client's previous name stays held for it, ms. */
  readonly holdMs: number;
}

/** Display names, unique per service (by the key of `checkName`). */
export interface NameStore {
  /**
   * Makes `display` (uniqueness key `key`) the current name of
   * `clientId`, atomically with holding its previous name for it (and
   * freeing the one held before); `"taken"` if another client has the key
   * as its current name or holds it.
   */
  claim(
    clientId: string,
    key: string,
    display: string,
    now: number,
    limits: NameStoreLimits,
  ): Promise<ClaimNameResult>;
  /** The current owner of a name by its key (not a held previous name). */
  byKey(key: string): Promise<NameEntry | null>;
  /** A client's current name. */
  nameOf(clientId: string): Promise<NameEntry | null>;
  /** Releases resources. */
  close(): void | Promise<void>;
}

/** A name record: the current name of `clientId`, or one held for it. */
export interface NameRecord {
  /** Its owner. */
  clientId: string;
  /** As shown. */
  display: string;
  /** Set once the owner renamed: held for it until then (ms). */
  heldUntil?: number;
}

/** A client's record: its current name's key and the one it holds. */
export interface OwnerRecord {
  /** Key of the current name. */
  current: string;
  /** Key of the previous name, held for it. */
  previous?: string;
}

/** What a claim reads before it writes. */
export interface ClaimReads {
  /** The claimant's owner record. */
  owner: OwnerRecord | null;
  /** The record of the wanted key. */
  wanted: NameRecord | null;
  /** The record of the claimant's current name. */
  current: NameRecord | null;
  /** The record of the claimant's held previous name. */
  previous: NameRecord | null;
}

/**
 * The writes of a claim, computed from what was read (shared by both
 * stores so that they follow one rule): `null` when the name is taken.
 * A record `null` is deleted.
 */
export function claimWrites(
  clientId: string,
  key: string,
  display: string,
  now: number,
  limits: NameStoreLimits,
  read: ClaimReads,
): { names: [string, NameRecord | null][]; owner: OwnerRecord } | null {
  const { owner, wanted } = read;
  if (
    wanted && wanted.clientId !== clientId &&
    (wanted.heldUntil === undefined || wanted.heldUntil > now)
  ) return null;
  const names: [string, NameRecord | null][] = [[key, { clientId, display }]];
  if (!owner || owner.current === key) {
    // A first name, or the same name shown differently ("alice", "Alice").
    return { names, owner: { current: key, previous: owner?.previous } };
  }
  // The name held before is freed (if still this client's), the current
  // one becomes the held one.
  if (
    owner.previous !== undefined && owner.previous !== key &&
    read.previous?.clientId === clientId
  ) names.push([owner.previous, null]);
  names.push([owner.current, {
    clientId,
    display: read.current?.display ?? "",
    heldUntil: now + limits.holdMs,
  }]);
  return { names, owner: { current: key, previous: owner.current } };
}
