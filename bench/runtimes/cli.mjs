// Node and Bun side of `deno task bench:runtimes`: the installed npm
// package, every operation for every provider option; JSON on the last line.
import { measure } from "./ops.mjs";

// Installed only in the scratch project: imported by a computed name so
// that `deno check` does not look for it.
const PACKAGE = "@webmls/mls";
const mod = await import(PACKAGE);
const runtime = typeof Bun !== "undefined"
  ? `Bun ${Bun.version}`
  : `Node ${process.versions.node}`;
console.log(JSON.stringify({ runtime, rows: await measure(mod) }));
