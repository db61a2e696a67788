// workerd side of `deno task test:runtimes`: a module worker that runs the
// flow for `?suite=N` inside the request handler and answers with JSON.
// workerd refuses `crypto.getRandomValues` outside a request ("global
// scope"), so nothing that draws randomness (creating identities, groups)
// may run at module load: the probe below records that refusal.
// The modules sit beside this one only in workerd's config: imported by a
// computed name so that `deno check` does not look for them on disk.
const LIB = "./webmls.mjs";
const FLOW = "./flow.mjs";

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
    const [mod, { runtimeFlow }] = await Promise.all([
      import(LIB),
      import(FLOW),
    ]);
    const results = await runtimeFlow(mod, { suites: [suite] });
    return Response.json({ runtime: "workerd", globalScopeRandom, results });
  },
};
