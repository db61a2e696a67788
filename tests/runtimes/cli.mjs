// Node and Bun side of `deno task test:runtimes`: imports the installed npm
// package by name (from the scratch project it is copied into), runs the
// flow for every suite, prints the results as JSON on the last line.
import { runtimeFlow } from "./flow.mjs";

// Installed only in the scratch project: imported by a computed name so
// that `deno check` does not look for it.
const PACKAGE = "@webmls/mls";
const mod = await import(PACKAGE);

const runtime = typeof Bun !== "undefined"
  ? `bun ${Bun.version}`
  : `node ${process.versions.node}`;
const results = await runtimeFlow(mod);
console.log(JSON.stringify({ runtime, results }));
