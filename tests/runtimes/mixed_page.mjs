// Browser member of the mixed-runtime group: the combined bundle, driven by
// the coordinator named in the page's query (`?control=…&agent=…`).
const served = (path) => new URL(path, location.href).href;
const lib = await import(served("webmls.mjs"));
const { createAgent, pullLoop } = await import(served("agent.mjs"));
const query = new URLSearchParams(location.search);
try {
  await pullLoop(
    createAgent(lib, navigator.userAgent),
    query.get("control"),
    query.get("agent"),
  );
  globalThis.__result = { ok: true, log: ["done"] };
} catch (e) {
  globalThis.__result = { ok: false, log: [], error: String(e) };
}
