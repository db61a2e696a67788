// workerd member of the mixed-runtime group: each request carries one
// command (JSON) and gets its reply; the member's state lives in the
// isolate between requests. Nothing random runs at module load (workerd
// forbids it at global scope).
import * as lib from "./webmls.mjs";
import { createAgent } from "./agent.mjs";

const handle = createAgent(lib, "workerd");

export default {
  async fetch(request) {
    try {
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
