// workerd side of `deno task test:runtimes`: a module worker that runs the
// flow for `?suite=N` inside the request handler and answers with JSON.
// workerd refuses `crypto.getRandomValues` outside a request ("global
// scope"), so nothing that draws randomness (creating identities, groups)
// may run at module load: the probe below records that refusal.
import * as mod from "./webmls.mjs";
import { runtimeFlow } from "./flow.mjs";

let globalScopeRandom;
try {
  crypto.getRandomValues(new Uint8Array(1));
  globalScopeRandom = "allowed";
} catch (e) {
  globalScopeRandom = `refused: ${e.message}`;
}

export default {
  async fetch(request) {
    const suite = Number(new URL(request.url).searchParams.get("suite"));
    const results = await runtimeFlow(mod, { suites: [suite] });
    return Response.json({ runtime: "workerd", globalScopeRandom, results });
  },
};
