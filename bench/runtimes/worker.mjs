// workerd side of `deno task bench:runtimes`. workerd's clocks stand still
// while code runs, so the caller times requests from outside: `prepare`
// (not timed) keeps an operation's inputs in the isolate, `run` runs them
// (timed, less an empty request), `list` names the operations.
import { operations, PROVIDERS, runAll } from "./ops.mjs";

// Beside this module only in workerd's config: imported by a computed name
// so that `deno check` does not look for it on disk.
const LIB = "./webmls.mjs";
let prepared;

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    const phase = q.get("phase");
    if (phase === "noop" || !phase) return new Response("");
    const mod = await import(LIB);
    if (phase === "list") {
      return Response.json(
        Object.keys(PROVIDERS).flatMap((provider) =>
          operations(mod, PROVIDERS[provider]).map((op, index) => ({
            provider,
            index,
            op: op.name,
            kind: op.kind,
            k: op.k,
            skip: Boolean(op.onlyFor && op.onlyFor !== provider),
          }))
        ),
      );
    }
    const provider = q.get("provider");
    const op = operations(mod, PROVIDERS[provider])[Number(q.get("op"))];
    if (phase === "prepare") {
      const k = Number(q.get("k") ?? op.k);
      prepared = { op, inputs: await op.prepare(k) };
      return new Response("");
    }
    await runAll(prepared.op, prepared.inputs);
    prepared = undefined;
    return new Response("");
  },
};
