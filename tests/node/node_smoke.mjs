// Node smoke test: the built package works under Node >= 20.
// Run: node tests/node/node_smoke.mjs [bundle.mjs | package name]
import { pathToFileURL } from "node:url";
import { cryptoChecks, mlsFlow } from "./checks.mjs";

const arg = process.argv[2];
const target = !arg
  ? new URL("../../dist/npm/webmls.mjs", import.meta.url).href
  : arg.startsWith("@")
  ? arg // an installed package, resolved from the working directory
  : pathToFileURL(arg).href;
const mod = await import(target);

const major = Number(process.versions.node.split(".")[0]);
if (major < 20) throw new Error(`Node ${process.versions.node}: need >= 20`);

for (const line of await cryptoChecks(mod)) console.log(line);
for (const line of await mlsFlow(mod)) console.log(line);
console.log(`node ${process.versions.node}: ok`);
