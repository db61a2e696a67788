/**
 * Byte strings larger than a Deno KV value (64 KiB) are stored as chunks
 * under consecutive keys.
 *
 * @module
 */

/** Chunk size: below the 64 KiB value limit. */
export const CHUNK = 60_000;

/** Splits bytes into chunks (at least one, possibly empty). */
export function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out.push(bytes.subarray(i, i + CHUNK));
  }
  return out.length > 0 ? out : [new Uint8Array(0)];
}

/** Joins chunks back. */
export function join(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Reads `count` chunks stored under `prefix + [i]`; `null` if any is
 * missing (expired, or replaced meanwhile).
 */
export async function readChunks(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  count: number,
): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i += 10) {
    const keys: Deno.KvKey[] = [];
    for (let j = i; j < Math.min(count, i + 10); j++) keys.push([...prefix, j]);
    const got = await kv.getMany<Uint8Array[]>(keys);
    for (const e of got) {
      if (!(e.value instanceof Uint8Array)) return null;
      parts.push(e.value);
    }
  }
  return join(parts);
}
