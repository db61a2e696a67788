// Node and Bun member of the mixed-runtime group: the installed npm
// package's two entry points, driven by the coordinator at argv[2].
import { createAgent, pullLoop } from "./agent.mjs";

// Installed only in the scratch project: imported by computed names so that
// `deno check` does not look for them.
const PACKAGE = "@webmls/mls";
const mls = await import(PACKAGE);
const delivery = await import(`${PACKAGE}/delivery`);

const runtime = typeof Bun !== "undefined"
  ? `bun ${Bun.version}`
  : `node ${process.versions.node}`;
const [control, name] = process.argv.slice(2);
await pullLoop(createAgent({ ...mls, ...delivery }, runtime), control, name);
