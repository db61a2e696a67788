// workerd member of the mixed-runtime group: each request carries one
// command (JSON) and gets its reply; the member's state lives in the
// isolate between requests. Nothing random runs at module load (workerd
// forbids it at global scope).
import { createAgent } from "./agent.mjs";

// Beside this module only in workerd's config: imported by a computed name
// so that `deno check` does not look for it on disk.
const LIB = "./webmls.mjs";
let handle;

export default {
  async fetch(request) {
    try {
      handle ??= createAgent(await import(LIB), "workerd");
      return Response.json({
        ok: true,
        value: await handle(await request.json()),
      });
    } catch (e) {
      return Response.json({
        ok: false,
        error: `${e?.name}: ${e?.message}\n${e?.stack}`,
      });
    }
  },
};
