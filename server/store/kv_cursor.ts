/**
 * Inbox cursors of the Deno KV store: `v`, the versionstamp of the
 * operation that wrote the entry (20 hex digits), its position in the
 * group's log (12 hex digits), `.` and the group id. Versionstamps grow
 * with commit order across the database, so cursors order entries of
 * different groups by acceptance; within a group (one operation may write
 * several entries) the position breaks ties. They sort after the cursors
 * of earlier versions (`p…`).
 *
 * @module
 */

/** A parsed cursor. */
export interface Cursor {
  /** Versionstamp of the write. */
  readonly vs: string;
  /** Position in the group's log. */
  readonly pos: number;
  /** The group. */
  readonly gid: string;
}

/** The cursor of the entry at `pos` of `gid`'s log written at `vs`. */
export function cursorOf(vs: string, pos: number, gid: string): string {
  return `v${vs}${pos.toString(16).padStart(12, "0")}.${gid}`;
}

/** Parses one of our cursors; `null` for anything else. */
export function parseCursor(cursor: string | undefined): Cursor | null {
  const m = cursor === undefined
    ? null
    : /^v([0-9a-f]{20})([0-9a-f]{12})\.([0-9a-f]+)$/.exec(cursor);
  return m ? { vs: m[1], pos: parseInt(m[2], 16), gid: m[3] } : null;
}
