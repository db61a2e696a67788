/**
 * `deno task vectors`: checks every official vector file and prints
 * `<file> <passed>/<total>` per file, then `N passed, M failed`. Entries of
 * a file without a checker count as failed. Exits non-zero when any entry
 * fails. `--verbose` prints each failure.
 */
import { runFile, vectorFiles } from "./harness.ts";

const verbose = Deno.args.includes("--verbose");
const only = Deno.args.filter((a) => !a.startsWith("--"));
let passed = 0, failed = 0;
for (const file of vectorFiles()) {
  if (only.length && !only.some((o) => file.startsWith(o))) continue;
  const r = await runFile(file);
  if (r.skipped) {
    failed += r.total;
    console.log(`${file} 0/${r.total} (no checker: failed)`);
    continue;
  }
  passed += r.passed;
  failed += r.failures.length;
  console.log(`${file} ${r.passed}/${r.total}`);
  for (const f of verbose ? r.failures : r.failures.slice(0, 3)) {
    const e = f.error as Error;
    console.log(
      `  #${f.index}: ${e?.stack ?? e}`.split("\n").slice(0, verbose ? 12 : 4)
        .join("\n"),
    );
  }
}
console.log(`${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
