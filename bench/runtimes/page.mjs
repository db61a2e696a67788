// Browser side of `deno task bench:runtimes`: the bundle, every operation
// for every provider option; the rows go to `globalThis.__result.log[0]`.
const served = (path) => new URL(path, location.href).href;
try {
  const mod = await import(served("/webmls.mjs"));
  const { measure } = await import(served("/ops.mjs"));
  const rows = await measure(mod);
  globalThis.__result = { ok: true, log: [JSON.stringify({ rows })] };
} catch (e) {
  globalThis.__result = { ok: false, log: [], error: String(e?.stack ?? e) };
}
