// Browser side of `deno task test:runtimes` (Chromium through
// tests/browser/driver.ts, Firefox through tests/runtimes/firefox_driver.mjs):
// the flow for every suite over IndexedDB, reopened by a second
// IndexedDbStorage on the same database. The outcome goes to
// `globalThis.__result` as { ok, log, error }; the last log line is JSON.
const served = (path) => new URL(path, location.href).href;
const mod = await import(served("/webmls.mjs"));
const { runtimeFlow } = await import(served("/flow.mjs"));

const run = crypto.randomUUID();
const dbName = (suite) => `webmls-runtimes-${run}-${suite}`;
try {
  const results = await runtimeFlow(mod, {
    storage: (suite) => new mod.IndexedDbStorage(dbName(suite)),
    reopen: (suite) => new mod.IndexedDbStorage(dbName(suite)),
  });
  for (const r of results) indexedDB.deleteDatabase(dbName(r.suite));
  globalThis.__result = {
    ok: results.every((r) => r.ok),
    log: [JSON.stringify({ runtime: navigator.userAgent, results })],
  };
} catch (e) {
  globalThis.__result = { ok: false, log: [], error: String(e) };
}
