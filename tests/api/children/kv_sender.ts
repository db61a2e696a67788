/**
 * A child process of tests/api/multi_process_test.ts: opens the member's
 * view on a shared Deno KV file, prints `ready`, waits for a line on stdin,
 * sends `count` messages, and prints them (base64) with the number of
 * conditional batches that lost to the other process, as JSON.
 *
 * `deno run --unstable-kv --allow-read --allow-write kv_sender.ts
 *   <kv path> <group id> <client id> <name> <count>`
 *
 * @module
 */
import { toBase64 } from "../../../server/shared/base64.ts";
import {
  type BatchOptions,
  DenoKvStorage,
  MLS,
  MlsError,
  type Storage,
  type StorageWrite,
} from "../../../mod.ts";

const [path, groupId, clientId, name, count] = Deno.args;
const kv = new DenoKvStorage(path);

/** Counts the conditional batches refused because the other process wrote. */
let conflicts = 0;
const storage: Storage = {
  canStoreCryptoKeys: kv.canStoreCryptoKeys,
  conditionalBatches: kv.conditionalBatches,
  get: (k) => kv.get(k),
  list: (p) => kv.list(p),
  async batch(writes: readonly StorageWrite[], options?: BatchOptions) {
    try {
      await kv.batch(writes, options);
    } catch (e) {
      if (e instanceof MlsError && e.code === "storage_conflict") conflicts++;
      throw e;
    }
  },
} as Storage;

const mls = new MLS({ storage });
const view = await mls.groupGet(groupId, clientId);
if (!view) throw new Error("no view");
console.log("ready");
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  .getReader();
await lines.read();
const sent = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => view.send(`${name} ${i}`)),
);
console.log(JSON.stringify({ sent: sent.map((m) => toBase64(m)), conflicts }));
lines.releaseLock();
await kv.close();
