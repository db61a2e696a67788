/**
 * Large byte strings of a group on Deno KV (messages, Welcomes, their
 * recipient lists, GroupInfos) under `blob, gid, id`, in chunks. They are
 * written before the atomic operation that refers to them, in operations of
 * their own, so that the referring operation stays within Deno KV's limits
 * (1,000 mutations, 800 KiB) however large a commit is. A blob no accepted
 * operation refers to (the commit lost its race) is deleted by the writer,
 * or expires.
 *
 * @module
 */

import { chunks, readChunks } from "./kv_chunks.ts";
import type { KvContext } from "./kv_context.ts";
import type { BlobRef } from "./kv_keys.ts";
import { unlocked } from "./kv_retry.ts";

/** Chunks per operation: ten of 60,000 bytes stay below 800 KiB. */
const PER_OP = 10;

/** A new blob id. */
export function blobId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Writes `bytes` as a blob of `gid`; `expires`: it goes after the
 * retention period (GroupInfos stay until replaced).
 */
export async function writeBlob(
  ctx: KvContext,
  gid: string,
  bytes: Uint8Array,
  expires: boolean,
): Promise<BlobRef> {
  const id = blobId();
  const cs = chunks(bytes);
  const prefix = ctx.keys.blob(gid, id);
  const options = expires ? { expireIn: ctx.retentionMs } : undefined;
  for (let i = 0; i < cs.length; i += PER_OP) {
    const op = ctx.kv.atomic();
    for (let j = i; j < Math.min(cs.length, i + PER_OP); j++) {
      op.set([...prefix, j], cs[j], options);
    }
    const res = await unlocked(() => op.commit());
    if (!res.ok) throw new Error("unchecked blob write refused");
  }
  return { id, parts: cs.length };
}

/** Adds the writes of a small blob to `op`; returns how many. */
export function blobWrites(
  ctx: KvContext,
  op: Deno.AtomicOperation,
  gid: string,
  ref: BlobRef,
  bytes: Uint8Array,
  expires: boolean,
): number {
  const prefix = ctx.keys.blob(gid, ref.id);
  const options = expires ? { expireIn: ctx.retentionMs } : undefined;
  chunks(bytes).forEach((c, i) => op.set([...prefix, i], c, options));
  return ref.parts;
}

/** Adds the deletions of a blob to `op`; returns how many. */
export function blobDeletes(
  ctx: KvContext,
  op: Deno.AtomicOperation,
  gid: string,
  ref: BlobRef,
): number {
  for (let i = 0; i < ref.parts; i++) {
    op.delete([...ctx.keys.blob(gid, ref.id), i]);
  }
  return ref.parts;
}

/** Deletes blobs no operation refers to (best effort). */
export async function dropBlobs(
  ctx: KvContext,
  gid: string,
  refs: readonly BlobRef[],
): Promise<void> {
  for (const ref of refs) {
    for (let i = 0; i < ref.parts; i += 500) {
      const op = ctx.kv.atomic();
      for (let j = i; j < Math.min(ref.parts, i + 500); j++) {
        op.delete([...ctx.keys.blob(gid, ref.id), j]);
      }
      await unlocked(() => op.commit()).catch(() => {});
    }
  }
}

/** A blob's bytes, `null` if it expired. */
export function readBlob(
  ctx: KvContext,
  gid: string,
  ref: BlobRef,
): Promise<Uint8Array | null> {
  return readChunks(ctx.kv, ctx.keys.blob(gid, ref.id), ref.parts);
}
