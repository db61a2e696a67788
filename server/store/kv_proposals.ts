/**
 * Verified PublicMessage proposals on Deno KV, kept for the commits of
 * their epoch that reference them (RFC 9420 §12.4: proposals by
 * reference). They are written in the atomic operation that accepts the
 * proposal, keyed by epoch so that a later epoch never sees them, and
 * expire with the inbox retention instead of being deleted by the commit
 * (which would cost the commit one deletion per proposal).
 *
 * @module
 */

import { chunks, join } from "./kv_chunks.ts";
import type { Keys } from "./kv_keys.ts";

/** What these functions need of the store (the accepting code's context). */
export interface ProposalContext {
  /** The database. */
  readonly kv: Deno.Kv;
  /** Key builder. */
  readonly keys: Keys;
  /** How long a proposal is kept, ms. */
  readonly retentionMs: number;
}

/** Adds the writes of one proposal to `op`; returns how many. */
export function proposalWrites(
  ctx: ProposalContext,
  op: Deno.AtomicOperation,
  gid: string,
  epoch: number,
  ref: string,
  bytes: Uint8Array,
): number {
  const prefix = ctx.keys.proposal(gid, epoch, ref);
  const cs = chunks(bytes);
  cs.forEach((c, i) =>
    op.set([...prefix, i], c, { expireIn: ctx.retentionMs })
  );
  return cs.length;
}

/** The proposal kept under `ref` in `epoch`, or `null`. */
export async function readProposal(
  ctx: ProposalContext,
  gid: string,
  epoch: number,
  ref: string,
): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  for await (
    const e of ctx.kv.list<Uint8Array>({
      prefix: ctx.keys.proposal(gid, epoch, ref),
    })
  ) {
    parts.push(e.value);
  }
  return parts.length > 0 ? join(parts) : null;
}
