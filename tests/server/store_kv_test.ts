/** The store contract (store_conformance.ts) on Deno KV (in memory). */
import { KvStore } from "../../server/store/kv.ts";
import { storeConformance } from "./store_conformance.ts";

storeConformance(
  "Deno KV",
  async () => new KvStore(await Deno.openKv(":memory:")),
);
