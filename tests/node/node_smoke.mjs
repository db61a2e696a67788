// Node smoke test: the built bundle works under Node >= 20.
// Run: deno task build && node tests/node/node_smoke.mjs [bundle.mjs]
import { pathToFileURL } from "node:url";
import { cryptoChecks, mlsFlow } from "./checks.mjs";

const bundle = process.argv[2]
  ? pathToFileURL(process.argv[2]).href
  : new URL("../../dist/webmls.mjs", import.meta.url).href;
const mod = await import(bundle);

const major = Number(process.versions.node.split(".")[0]);
if (major < 20) throw new Error(`Node ${process.versions.node}: need >= 20`);

for (const line of await cryptoChecks(mod)) console.log(line);
for (const line of await mlsFlow(mod)) console.log(line);
console.log(`node ${process.versions.node}: ok`);
