import { startCluster } from "./scripts/pg_cluster.ts";
const c = await startCluster();
console.log(c.url);
await Deno.writeTextFile("/tmp/pgt/url", c.url);
await new Promise((r) => Deno.addSignalListener("SIGTERM", r));
await c.stop();
