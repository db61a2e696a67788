// Node and Bun member of the mixed-runtime group: the installed npm
// package's two entry points, driven by the coordinator at argv[2].
import * as mls from "@webmls/mls";
import * as delivery from "@webmls/mls/delivery";
import { createAgent, pullLoop } from "./agent.mjs";

const runtime = typeof Bun !== "undefined"
  ? `bun ${Bun.version}`
  : `node ${process.versions.node}`;
const [control, name] = process.argv.slice(2);
await pullLoop(createAgent({ ...mls, ...delivery }, runtime), control, name);
