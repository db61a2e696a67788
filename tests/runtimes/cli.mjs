// Node and Bun side of `deno task test:runtimes`: imports the installed npm
// package by name (from the scratch project it is copied into), runs the
// flow for every suite, prints the results as JSON on the last line.
import * as mod from "@webmls/mls";
import { runtimeFlow } from "./flow.mjs";

const runtime = typeof Bun !== "undefined"
  ? `bun ${Bun.version}`
  : `node ${process.versions.node}`;
const results = await runtimeFlow(mod);
console.log(JSON.stringify({ runtime, results }));
