// Every official vector file must have a checker and pass 100%.
import assert from "node:assert/strict";
import { checkerUrl, runFile, vectorFiles } from "./vectors/harness.ts";

for (const file of vectorFiles()) {
  let hasChecker = true;
  try {
    Deno.statSync(checkerUrl(file));
  } catch {
    hasChecker = false;
  }
  Deno.test({
    name: `vectors: ${file}`,
    fn: async () => {
      assert.ok(hasChecker, `${file}: no checker (tests/vectors/)`);
      const r = await runFile(file);
      const first = r.failures[0];
      assert.equal(
        r.passed,
        r.total,
        `${file}: ${r.failures.length} of ${r.total} failed; first #${first?.index}: ${
          (first?.error as Error)?.stack ?? first?.error
        }`,
      );
    },
  });
}
